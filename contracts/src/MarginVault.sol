// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarginVault} from "./IMarginVault.sol";

interface IERC20Like {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function decimals() external view returns (uint8);
}

interface IPriceFeedLike {
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80);
}

/// @title The reference margin vault the xmargin devnet deploys on every chain.
/// @notice Collateral, debt, perpetual positions settled in quote-token cash, funding, liquidation
///         and an insurance fund. Every event carries the new state (see IMarginVault for units).
///         Health is not checked on chain: deciding who is under-margined across chains is the
///         indexer's job, and liquidation is done by authorized liquidators that read it.
/// Rounding: amounts credited to an account round down (toward -inf), amounts it pays round up.
contract MarginVault is IMarginVault {
    struct Position {
        int256 size;
        uint256 entryPrice;
        int256 fundingIndex;
    }

    struct Market {
        address feed;
        uint8 mode;
        uint256 maxLeverage;
        int256 fundingRate;
        int256 cumulativeFundingIndex;
        uint64 lastFundingTime;
    }

    uint8 public constant MODE_NORMAL = 0;
    uint8 public constant MODE_REDUCE_ONLY = 1;
    uint8 public constant MODE_HALTED = 2;

    /// size (1e18) × price (1e8) → whole USD needs 1e26; × quoteUnit gives quote raw units.
    int256 private constant SIZE_PRICE_SCALE = 1e26;
    /// size (1e18) × funding index (1e18) → whole USD needs 1e36.
    int256 private constant SIZE_INDEX_SCALE = 1e36;

    address public owner;
    address public immutable override quoteToken;
    /// 10 ** quoteToken.decimals(): quote raw units per USD (the quote token is worth 1 USD).
    int256 public immutable quoteUnit;

    mapping(address => bool) public isLiquidator;
    mapping(address => mapping(address => uint256)) private collateral;
    mapping(address => mapping(address => uint256)) private debt;
    mapping(address => int256) private cash;
    mapping(address => mapping(uint32 => Position)) private positions;
    mapping(uint32 => Market) private markets;
    mapping(address => uint256) private insurance;

    error NotOwner(address caller);
    error NotLiquidator(address caller);
    error ZeroAmount();
    error InsufficientCollateral(address account, address token, uint256 balance, uint256 needed);
    error RepayExceedsDebt(address account, address token, uint256 debt, uint256 amount);
    error MarketNotListed(uint32 marketId);
    error MarketAlreadyListed(uint32 marketId);
    error MarketHalted(uint32 marketId);
    error ReduceOnly(uint32 marketId, int256 size, int256 sizeDelta);
    error InvalidMode(uint8 mode);
    error InvalidPrice(uint32 marketId, int256 answer);
    error NoPosition(address account, uint32 marketId);
    error InsufficientInsurance(address token, uint256 balance, uint256 needed);
    error TransferFailed(address token);

    constructor(address quoteToken_) {
        owner = msg.sender;
        quoteToken = quoteToken_;
        quoteUnit = int256(10 ** uint256(IERC20Like(quoteToken_).decimals()));
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    modifier onlyLiquidator() {
        if (!isLiquidator[msg.sender]) revert NotLiquidator(msg.sender);
        _;
    }

    // ---- collateral ------------------------------------------------------------------------

    function deposit(address token, uint256 amount) external override {
        if (amount == 0) revert ZeroAmount();
        _pull(token, msg.sender, amount);
        uint256 balance = collateral[msg.sender][token] + amount;
        collateral[msg.sender][token] = balance;
        emit CollateralDeposited(msg.sender, token, amount, balance);
    }

    function withdraw(address token, uint256 amount) external override {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = collateral[msg.sender][token];
        if (balance < amount) revert InsufficientCollateral(msg.sender, token, balance, amount);
        balance -= amount;
        collateral[msg.sender][token] = balance;
        _push(token, msg.sender, amount);
        emit CollateralWithdrawn(msg.sender, token, amount, balance);
    }

    // ---- debt ------------------------------------------------------------------------------

    /// @notice Lends from the vault's own balance of `token` (funded by the owner).
    function borrow(address token, uint256 amount) external override {
        if (amount == 0) revert ZeroAmount();
        uint256 newDebt = debt[msg.sender][token] + amount;
        debt[msg.sender][token] = newDebt;
        _push(token, msg.sender, amount);
        emit DebtBorrowed(msg.sender, token, amount, newDebt);
    }

    function repay(address token, uint256 amount) external override {
        _repay(msg.sender, token, amount);
    }

    function repayFor(address account, address token, uint256 amount) external override {
        _repay(account, token, amount);
    }

    function _repay(address account, address token, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        uint256 current = debt[account][token];
        if (amount > current) revert RepayExceedsDebt(account, token, current, amount);
        _pull(token, msg.sender, amount);
        uint256 newDebt = current - amount;
        debt[account][token] = newDebt;
        emit DebtRepaid(account, token, msg.sender, amount, newDebt);
    }

    // ---- markets ---------------------------------------------------------------------------

    function listMarket(uint32 marketId, address feed, uint256 maxLeverage) external override onlyOwner {
        if (markets[marketId].feed != address(0)) revert MarketAlreadyListed(marketId);
        markets[marketId] = Market(feed, MODE_NORMAL, maxLeverage, 0, 0, uint64(block.timestamp));
        emit MarketListed(marketId, feed, maxLeverage);
    }

    function setMarketMode(uint32 marketId, uint8 mode) external override onlyOwner {
        Market storage m = _market(marketId);
        if (mode > MODE_HALTED) revert InvalidMode(mode);
        m.mode = mode;
        emit MarketModeChanged(marketId, mode);
    }

    function setMaxLeverage(uint32 marketId, uint256 maxLeverage) external override onlyOwner {
        Market storage m = _market(marketId);
        m.maxLeverage = maxLeverage;
        emit MaxLeverageChanged(marketId, maxLeverage);
    }

    /// @notice Accrue the index at the old rate up to now, then set the new rate.
    function updateFunding(uint32 marketId, int256 fundingRate) external override onlyOwner {
        Market storage m = _market(marketId);
        _accrue(m);
        m.fundingRate = fundingRate;
        emit FundingUpdated(marketId, fundingRate, m.cumulativeFundingIndex);
    }

    /// index += rate × elapsed seconds. Exact (no division), so an indexer that extrapolates from
    /// the last FundingUpdated event gets the same index as any intermediate accrual.
    function _accrue(Market storage m) private {
        uint256 elapsed = block.timestamp - m.lastFundingTime;
        if (elapsed > 0) {
            m.cumulativeFundingIndex += m.fundingRate * int256(elapsed);
            m.lastFundingTime = uint64(block.timestamp);
        }
    }

    function _market(uint32 marketId) private view returns (Market storage m) {
        m = markets[marketId];
        if (m.feed == address(0)) revert MarketNotListed(marketId);
    }

    function _price(uint32 marketId, Market storage m) private view returns (uint256) {
        (, int256 answer,,,) = IPriceFeedLike(m.feed).latestRoundData();
        if (answer <= 0) revert InvalidPrice(marketId, answer);
        return uint256(answer);
    }

    // ---- perpetual positions ---------------------------------------------------------------

    /// @notice Reduce-only mode refuses any trade that increases |size| or flips the side.
    function trade(uint32 marketId, int256 sizeDelta) external override {
        if (sizeDelta == 0) revert ZeroAmount();
        Market storage m = _market(marketId);
        if (m.mode == MODE_HALTED) revert MarketHalted(marketId);
        Position storage p = positions[msg.sender][marketId];
        int256 size = p.size;
        int256 newSize = size + sizeDelta;
        if (m.mode == MODE_REDUCE_ONLY && (_abs(newSize) > _abs(size) || (newSize != 0 && (newSize > 0) != (size > 0)))) {
            revert ReduceOnly(marketId, size, sizeDelta);
        }
        uint256 price = _price(marketId, m);
        _accrue(m);
        int256 fundingPaid = _settleFunding(p, m.cumulativeFundingIndex);

        int256 realizedPnl = 0;
        uint256 newEntry;
        if (size == 0 || (size > 0) == (sizeDelta > 0)) {
            // open or increase: size-weighted average entry
            newEntry = (_abs(size) * p.entryPrice + _abs(sizeDelta) * price) / _abs(newSize);
        } else {
            int256 closed = _abs(sizeDelta) >= _abs(size) ? size : -sizeDelta;
            realizedPnl = _pnl(closed, p.entryPrice, price);
            if (newSize == 0) newEntry = 0;
            else if ((newSize > 0) == (size > 0)) newEntry = p.entryPrice; // reduce
            else newEntry = price; // flip: the remainder opens at the execution price
        }

        p.size = newSize;
        p.entryPrice = newEntry;
        int256 newCash = cash[msg.sender] + realizedPnl - fundingPaid;
        cash[msg.sender] = newCash;
        emit PositionUpdated(
            msg.sender, marketId, sizeDelta, newSize, newEntry, price, realizedPnl, fundingPaid, p.fundingIndex, newCash
        );
    }

    /// Funding owed since the position's index, in quote raw units (positive: the account pays),
    /// rounded up; the position then carries `index`.
    function _settleFunding(Position storage p, int256 index) private returns (int256 paid) {
        paid = -_floorDiv(-(p.size * (index - p.fundingIndex) * quoteUnit), SIZE_INDEX_SCALE);
        p.fundingIndex = index;
    }

    /// Realized PnL of closing `closed` (signed, the side being closed) bought at `entry`, sold at
    /// `price`, in quote raw units, rounded down.
    function _pnl(int256 closed, uint256 entry, uint256 price) private view returns (int256) {
        return _floorDiv(closed * (int256(price) - int256(entry)) * quoteUnit, SIZE_PRICE_SCALE);
    }

    // ---- liquidation -----------------------------------------------------------------------

    function setLiquidator(address liquidator, bool allowed) external override onlyOwner {
        isLiquidator[liquidator] = allowed;
        emit LiquidatorSet(liquidator, allowed);
    }

    function seizeCollateral(address account, address token, uint256 amount) external override onlyLiquidator {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = collateral[account][token];
        if (balance < amount) revert InsufficientCollateral(account, token, balance, amount);
        balance -= amount;
        collateral[account][token] = balance;
        _push(token, msg.sender, amount);
        emit CollateralSeized(account, token, msg.sender, amount, balance);
    }

    /// @notice Close the whole position at the feed price; works in every market mode.
    function liquidatePosition(address account, uint32 marketId) external override onlyLiquidator {
        Market storage m = _market(marketId);
        Position storage p = positions[account][marketId];
        int256 size = p.size;
        if (size == 0) revert NoPosition(account, marketId);
        uint256 price = _price(marketId, m);
        _accrue(m);
        int256 fundingPaid = _settleFunding(p, m.cumulativeFundingIndex);
        int256 realizedPnl = _pnl(size, p.entryPrice, price);
        p.size = 0;
        p.entryPrice = 0;
        int256 newCash = cash[account] + realizedPnl - fundingPaid;
        cash[account] = newCash;
        emit PositionLiquidated(account, marketId, msg.sender, size, price, realizedPnl, fundingPaid, newCash);
    }

    // ---- insurance fund --------------------------------------------------------------------

    function fundInsurance(address token, uint256 amount) external override {
        if (amount == 0) revert ZeroAmount();
        _pull(token, msg.sender, amount);
        uint256 balance = insurance[token] + amount;
        insurance[token] = balance;
        emit InsuranceFunded(token, msg.sender, amount, balance);
    }

    /// @notice Moves `amount` of the quote token from the fund into the account's cash.
    function payOutInsurance(address account, uint256 amount) external override onlyOwner {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = insurance[quoteToken];
        if (balance < amount) revert InsufficientInsurance(quoteToken, balance, amount);
        balance -= amount;
        insurance[quoteToken] = balance;
        int256 newCash = cash[account] + int256(amount);
        cash[account] = newCash;
        emit InsurancePaidOut(account, quoteToken, amount, balance, newCash);
    }

    // ---- views -----------------------------------------------------------------------------

    function collateralOf(address account, address token) external view override returns (uint256) {
        return collateral[account][token];
    }

    function debtOf(address account, address token) external view override returns (uint256) {
        return debt[account][token];
    }

    function cashOf(address account) external view override returns (int256) {
        return cash[account];
    }

    function positionOf(address account, uint32 marketId)
        external
        view
        override
        returns (int256 size, uint256 entryPrice, int256 fundingIndex)
    {
        Position storage p = positions[account][marketId];
        return (p.size, p.entryPrice, p.fundingIndex);
    }

    function marketOf(uint32 marketId)
        external
        view
        override
        returns (address feed, uint8 mode, uint256 maxLeverage, int256 fundingRate, int256 cumulativeFundingIndex, uint64 lastFundingTime)
    {
        Market storage m = markets[marketId];
        return (m.feed, m.mode, m.maxLeverage, m.fundingRate, m.cumulativeFundingIndex, m.lastFundingTime);
    }

    function insuranceBalanceOf(address token) external view override returns (uint256) {
        return insurance[token];
    }

    // ---- helpers ---------------------------------------------------------------------------

    function _pull(address token, address from, uint256 amount) private {
        if (!IERC20Like(token).transferFrom(from, address(this), amount)) revert TransferFailed(token);
    }

    function _push(address token, address to, uint256 amount) private {
        if (!IERC20Like(token).transfer(to, amount)) revert TransferFailed(token);
    }

    function _abs(int256 x) private pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    /// a / b rounded toward -inf, b > 0.
    function _floorDiv(int256 a, int256 b) private pure returns (int256 q) {
        q = a / b;
        if (a % b < 0) q -= 1;
    }
}
