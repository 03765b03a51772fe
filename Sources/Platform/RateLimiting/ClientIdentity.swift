import SystemSupport
import Glibc
import HTTPServer

/// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "::1/128", or a bare address).
public struct CIDR: Sendable, Equatable {
    let address: [UInt8]
    let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let addr = IPAddress.parse(parts[0]) else { return nil }
        let maxBits = addr.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxBits).contains(p) else { return nil }
            prefixLength = p
        } else {
            prefixLength = maxBits
        }
        address = addr
    }

    public func contains(_ ip: [UInt8]) -> Bool {
        guard ip.count == address.count else { return false }
        var bits = prefixLength
        var i = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if ip[i] & mask != address[i] & mask { return false }
            bits -= 8
            i += 1
        }
        return true
    }
}

enum IPAddress {
    /// 4 or 16 bytes, or nil when the text is not a numeric address.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            // IPv4-mapped: treat as the IPv4 address so one client has one identity.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        }
        return nil
    }

    /// Canonical text of 4 or 16 address bytes (RFC 5952 for IPv6, via inet_ntop), so that
    /// one address written several ways is one client.
    static func format(_ bytes: [UInt8]) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buf, socklen_t(buf.count)) }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Who a request comes from, for rate limiting and logs. The peer address is the truth unless
/// the peer is a trusted proxy; then X-Forwarded-For is walked from the right, skipping trusted
/// hops, and the first untrusted address is the client (the leftmost entries are client-
/// controlled and never believed blindly).
public struct ClientIdentity: Sendable {
    public let trustedProxies: [CIDR]

    public init(trustedProxies: [CIDR]) { self.trustedProxies = trustedProxies }

    public func clientAddress(for request: Request) -> String {
        let peer = request.remoteAddress
        guard !trustedProxies.isEmpty, let peerBytes = IPAddress.parse(peer), isTrusted(peerBytes) else { return peer }
        let hops = request.headers.values("X-Forwarded-For")
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmingWhitespace() }
        for hop in hops.reversed() {
            guard let bytes = IPAddress.parse(hop) else { return peer }
            if !isTrusted(bytes) { return IPAddress.format(bytes) }
        }
        return peer
    }

    /// The rate-limit key: the address, with IPv6 clients grouped by /64 (one subscriber
    /// usually holds a whole /64, so per-address keys would be trivial to evade).
    public func rateLimitKey(for request: Request) -> String {
        let address = clientAddress(for: request)
        guard let bytes = IPAddress.parse(address), bytes.count == 16 else { return address }
        return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    private func isTrusted(_ ip: [UInt8]) -> Bool { trustedProxies.contains { $0.contains(ip) } }
}
