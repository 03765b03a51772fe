import Glibc

/// Standard process_* metrics read from /proc at scrape time.
public enum ProcessMetrics {
    public static func register(in registry: MetricsRegistry, startTime: Double) {
        registry.addCollector { text in
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            text.header("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", type: "counter")
            text.sample("process_cpu_seconds_total", cpu)
            let (virtual, resident) = memory()
            text.header("process_resident_memory_bytes", help: "Resident memory size in bytes.", type: "gauge")
            text.sample("process_resident_memory_bytes", Double(resident))
            text.header("process_virtual_memory_bytes", help: "Virtual memory size in bytes.", type: "gauge")
            text.sample("process_virtual_memory_bytes", Double(virtual))
            text.header("process_open_fds", help: "Number of open file descriptors.", type: "gauge")
            text.sample("process_open_fds", Double(openFDs()))
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            text.header("process_max_fds", help: "Maximum number of open file descriptors.", type: "gauge")
            text.sample("process_max_fds", Double(limit.rlim_cur))
            text.header("process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", type: "gauge")
            text.sample("process_start_time_seconds", startTime.rounded())
        }
    }

    /// (virtual, resident) bytes from /proc/self/statm.
    public static func memory() -> (Int, Int) {
        guard let f = fopen("/proc/self/statm", "r") else { return (0, 0) }
        defer { fclose(f) }
        var size = 0, resident = 0
        withUnsafeMutablePointer(to: &size) { s in
            withUnsafeMutablePointer(to: &resident) { r in
                _ = withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
            }
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (size * page, resident * page)
    }

    static func openFDs() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var n = 0
        while readdir(dir) != nil { n += 1 }
        return max(0, n - 3) // ".", ".." and the directory handle itself
    }

    public static func wallClockSeconds() -> Double {
        var tv = timeval()
        gettimeofday(&tv, nil)
        return Double(tv.tv_sec) + Double(tv.tv_usec) / 1e6
    }
}
