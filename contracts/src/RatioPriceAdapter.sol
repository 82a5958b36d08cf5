// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface ILatestAnswer {
    function latestAnswer() external view returns (int256);
}

/// @title A price source that emits no events, like the adapters real Aave markets price
///        liquid-staking and capped assets with (wstETH = stETH/ETH ratio × ETH/USD).
/// @notice `latestAnswer()` = underlying.latestAnswer() × ratio / 1e18, computed at call time.
///         The ratio changes without any event (`setRatio`), and the underlying feed's own events
///         do not name this contract, so an indexer that follows `AnswerUpdated` of the sources
///         AaveOracle names never sees this price move: it must be read.
contract RatioPriceAdapter {
    ILatestAnswer public immutable underlying;
    uint8 public immutable decimals;
    address public owner;
    /// @notice 1e18 = the underlying's answer unchanged.
    uint256 public ratio;

    error NotAuthorized(address caller);
    error BadRatio(uint256 ratio);

    constructor(ILatestAnswer underlying_, uint8 decimals_, uint256 ratio_) {
        if (ratio_ == 0) revert BadRatio(ratio_);
        underlying = underlying_;
        decimals = decimals_;
        owner = msg.sender;
        ratio = ratio_;
    }

    /// @notice Set the ratio (18 decimals). Deliberately emits nothing.
    function setRatio(uint256 ratio_) external {
        if (msg.sender != owner) revert NotAuthorized(msg.sender);
        if (ratio_ == 0) revert BadRatio(ratio_);
        ratio = ratio_;
    }

    function latestAnswer() external view returns (int256) {
        return (underlying.latestAnswer() * int256(ratio)) / 1e18;
    }
}
