import Glibc

/// A file written with write(2) and fsynced before it is renamed into place: what a crash
/// leaves is either the old file or the whole new one, never a torn one.
public final class SyncedFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private var fd: Int32

    /// Creates (or truncates) `path`, readable by the owner only.
    public init(creating path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path) (errno \(errno))") }
    }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "write failed (errno \(errno))") }
            offset += n
        }
    }

    public func syncAndClose() throws {
        guard fsync(fd) == 0 else { throw Failure(description: "fsync failed (errno \(errno))") }
        close()
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }

    /// Renames a synced file into place and syncs the directory, so the new name survives a crash.
    public static func rename(_ temp: String, to path: String) throws {
        guard Glibc.rename(temp, path) == 0 else { throw Failure(description: "cannot rename \(temp) (errno \(errno))") }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let d = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if d >= 0 {
            fsync(d)
            Glibc.close(d)
        }
    }

    /// Writes `bytes` to `path` atomically: a `.partial` file, fsync, rename, fsync of the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temp = path + ".partial"
        do {
            let file = try SyncedFile(creating: temp)
            try file.write(bytes)
            try file.syncAndClose()
            try rename(temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
    }
}
