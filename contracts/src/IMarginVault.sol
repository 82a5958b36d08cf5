// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The margin vault every xmargin chain runs: the events are the indexer's contract.
/// @notice Every state change emits an event that carries the new state, so the indexer maintains
///         the store without a single RPC read.
/// Units, used everywhere below:
///   - token amounts: the token's raw integer units (its own decimals: 6, 8 or 18)
///   - prices (`price`, `entryPrice`, oracle answers): USD with 8 decimals (Chainlink's USD feeds)
///   - perp sizes: signed base-asset units with 18 decimals (+ long, - short)
///   - cash, realized PnL, funding paid: signed raw units of the vault's quote token (USDC, 6 decimals)
///   - funding index: cumulative USD per 1 whole base unit, 18 decimals (longs pay when it rises)
///   - leverage: 18 decimals (10x = 10e18)
///   - market mode: 0 normal, 1 reduce-only, 2 halted
interface IMarginVault {
    // ---- collateral ------------------------------------------------------------------------
    event CollateralDeposited(address indexed account, address indexed token, uint256 amount, uint256 newBalance);
    event CollateralWithdrawn(address indexed account, address indexed token, uint256 amount, uint256 newBalance);

    // ---- debt ------------------------------------------------------------------------------
    event DebtBorrowed(address indexed account, address indexed token, uint256 amount, uint256 newDebt);
    /// @param payer the account itself, or a liquidator repaying on its behalf
    event DebtRepaid(address indexed account, address indexed token, address indexed payer, uint256 amount, uint256 newDebt);

    // ---- markets ---------------------------------------------------------------------------
    event MarketListed(uint32 indexed marketId, address indexed feed, uint256 maxLeverage);
    event MarketModeChanged(uint32 indexed marketId, uint8 mode);
    event MaxLeverageChanged(uint32 indexed marketId, uint256 maxLeverage);
    /// @param fundingRate funding per second, USD per whole base unit, 18 decimals (signed)
    event FundingUpdated(uint32 indexed marketId, int256 fundingRate, int256 cumulativeFundingIndex);

    // ---- perpetual positions ---------------------------------------------------------------
    /// @notice Open, increase, reduce, close or flip at `executionPrice` (the market feed's answer).
    /// Accrued funding is settled into cash first; `fundingIndex` is the index the position now carries.
    event PositionUpdated(
        address indexed account,
        uint32 indexed marketId,
        int256 sizeDelta,
        int256 newSize,
        uint256 newEntryPrice,
        uint256 executionPrice,
        int256 realizedPnl,
        int256 fundingPaid,
        int256 fundingIndex,
        int256 newCash
    );

    // ---- liquidation (authorized liquidators only) ------------------------------------------
    event CollateralSeized(address indexed account, address indexed token, address indexed liquidator, uint256 amount, uint256 newBalance);
    event PositionLiquidated(
        address indexed account,
        uint32 indexed marketId,
        address indexed liquidator,
        int256 sizeClosed,
        uint256 executionPrice,
        int256 realizedPnl,
        int256 fundingPaid,
        int256 newCash
    );
    event LiquidatorSet(address indexed liquidator, bool allowed);

    // ---- insurance fund --------------------------------------------------------------------
    event InsuranceFunded(address indexed token, address indexed from, uint256 amount, uint256 newBalance);
    /// @notice Covers an account's bad debt: the fund pays `amount` of the quote token into its cash.
    event InsurancePaidOut(address indexed account, address indexed token, uint256 amount, uint256 newFundBalance, int256 newCash);

    // ---- functions -------------------------------------------------------------------------
    function quoteToken() external view returns (address);
    function deposit(address token, uint256 amount) external;
    function withdraw(address token, uint256 amount) external;
    function borrow(address token, uint256 amount) external;
    function repay(address token, uint256 amount) external;
    /// @notice Trade `sizeDelta` at the market feed's latest answer; reverts when halted, or when it
    ///         increases |size| in reduce-only mode.
    function trade(uint32 marketId, int256 sizeDelta) external;

    function listMarket(uint32 marketId, address feed, uint256 maxLeverage) external; // owner
    function setMarketMode(uint32 marketId, uint8 mode) external; // owner
    function setMaxLeverage(uint32 marketId, uint256 maxLeverage) external; // owner
    function updateFunding(uint32 marketId, int256 fundingRate) external; // owner: accrue at the old rate, then set the new one
    function setLiquidator(address liquidator, bool allowed) external; // owner

    function seizeCollateral(address account, address token, uint256 amount) external; // liquidator
    function liquidatePosition(address account, uint32 marketId) external; // liquidator: close all at the feed price
    function repayFor(address account, address token, uint256 amount) external; // anyone, e.g. a liquidator

    function fundInsurance(address token, uint256 amount) external;
    function payOutInsurance(address account, uint256 amount) external; // owner, quote token only

    // ---- views the ground-truth tests read -------------------------------------------------
    function collateralOf(address account, address token) external view returns (uint256);
    function debtOf(address account, address token) external view returns (uint256);
    function cashOf(address account) external view returns (int256);
    function positionOf(address account, uint32 marketId)
        external
        view
        returns (int256 size, uint256 entryPrice, int256 fundingIndex);
    function marketOf(uint32 marketId)
        external
        view
        returns (address feed, uint8 mode, uint256 maxLeverage, int256 fundingRate, int256 cumulativeFundingIndex, uint64 lastFundingTime);
    function insuranceBalanceOf(address token) external view returns (uint256);
}
