import Foundation
func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
