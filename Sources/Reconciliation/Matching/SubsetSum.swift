/// Subsets of at most `maxSize` (at least two) of `amounts` summing to `target` within
/// `tolerance`, by depth-first search with bounds, stopping after `budget` nodes.
struct SubsetSum {
    let amounts: [Int64]
    let target: Int64
    let tolerance: Int64
    let maxSize: Int
    var budget: Int
    private(set) var exhausted = false
    /// For pruning: the most a suffix can still add and the most it can still take away.
    private let positiveSuffix: [Int64]
    private let negativeSuffix: [Int64]

    init(amounts: [Int64], target: Int64, tolerance: Int64, maxSize: Int, budget: Int) {
        self.amounts = amounts
        self.target = target
        self.tolerance = tolerance
        self.maxSize = maxSize
        self.budget = budget
        var pos = [Int64](repeating: 0, count: amounts.count + 1)
        var neg = [Int64](repeating: 0, count: amounts.count + 1)
        for i in stride(from: amounts.count - 1, through: 0, by: -1) {
            pos[i] = pos[i + 1] + max(0, amounts[i])
            neg[i] = neg[i + 1] + min(0, amounts[i])
        }
        positiveSuffix = pos
        negativeSuffix = neg
    }

    mutating func solutions(limit: Int) -> [[Int]] {
        var found: [[Int]] = []
        var chosen: [Int] = []
        dfs(0, 0, &chosen, &found, limit)
        return found
    }

    private mutating func dfs(_ start: Int, _ sum: Int64, _ chosen: inout [Int], _ found: inout [[Int]], _ limit: Int) {
        if found.count >= limit { return }
        if chosen.count >= 2 && abs(sum - target) <= tolerance {
            found.append(chosen)
            // Supersets would only add members that sum to about nothing.
            return
        }
        guard chosen.count < maxSize, start < amounts.count else { return }
        // What the rest can still reach.
        if sum + positiveSuffix[start] < target - tolerance || sum + negativeSuffix[start] > target + tolerance { return }
        for i in start..<amounts.count {
            budget -= 1
            if budget <= 0 {
                exhausted = true
                return
            }
            chosen.append(i)
            dfs(i + 1, sum + amounts[i], &chosen, &found, limit)
            chosen.removeLast()
            if found.count >= limit || exhausted { return }
        }
    }
}
