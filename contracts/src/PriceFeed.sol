// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title A Chainlink AggregatorV3-compatible price feed the devnet controls.
/// @notice Emits Chainlink's own `AnswerUpdated` and `NewRound` events, so an indexer written for
///         real Chainlink aggregators indexes it unchanged. The owner or the updater pushes answers.
contract PriceFeed {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 4;

    address public owner;
    address public updater;
    uint256 public latestRound;
    mapping(uint256 => Round) private rounds;

    // Chainlink AggregatorInterface events, byte-for-byte.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);
    event UpdaterSet(address indexed updater);

    error NotAuthorized(address caller);
    error NoData(uint256 roundId);

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) {
        decimals = decimals_;
        description = description_;
        owner = msg.sender;
        _push(initialAnswer, block.timestamp, block.timestamp);
    }

    modifier onlyUpdater() {
        if (msg.sender != owner && msg.sender != updater) revert NotAuthorized(msg.sender);
        _;
    }

    function setUpdater(address updater_) external {
        if (msg.sender != owner) revert NotAuthorized(msg.sender);
        updater = updater_;
        emit UpdaterSet(updater_);
    }

    /// @notice Start and answer a new round at the current block time.
    function updateAnswer(int256 answer) external onlyUpdater {
        _push(answer, block.timestamp, block.timestamp);
    }

    /// @notice Start and answer a new round with explicit timestamps (stale-oracle tests), as
    ///         Chainlink's MockV3Aggregator does. The round id is the next one.
    function updateAnswerAt(int256 answer, uint256 updatedAt, uint256 startedAt) external onlyUpdater {
        _push(answer, updatedAt, startedAt);
    }

    function _push(int256 answer, uint256 updatedAt, uint256 startedAt) private {
        uint256 roundId = latestRound + 1;
        latestRound = roundId;
        rounds[roundId] = Round(answer, startedAt, updatedAt);
        emit NewRound(roundId, msg.sender, startedAt);
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    function latestAnswer() external view returns (int256) {
        return rounds[latestRound].answer;
    }

    function latestTimestamp() external view returns (uint256) {
        return rounds[latestRound].updatedAt;
    }

    function getAnswer(uint256 roundId) external view returns (int256) {
        return rounds[roundId].answer;
    }

    function getTimestamp(uint256 roundId) external view returns (uint256) {
        return rounds[roundId].updatedAt;
    }

    function getRoundData(uint80 roundId)
        public
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory r = rounds[roundId];
        if (r.updatedAt == 0) revert NoData(roundId);
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return getRoundData(uint80(latestRound));
    }
}
