/// Test signals without Foundation: a sine by its series, and RMS level.
enum Signal {
    static func sine(_ x: Double) -> Double {
        var y = x.truncatingRemainder(dividingBy: 2 * .pi)
        if y > .pi { y -= 2 * .pi }
        var term = y, sum = y
        for k in 1..<12 { term *= -y * y / Double((2 * k) * (2 * k + 1)); sum += term }
        return sum
    }

    static func rms(_ v: [Int16]) -> Double { (v.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(v.count)).squareRoot() }
}
