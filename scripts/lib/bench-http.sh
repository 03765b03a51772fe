# Shared by scripts/bench and scripts/bench-hummingbird: the nginx and the apiserver they
# measure side by side. Sourced, not executed.

# start_bench_nginx WORKDIR PORT: nginx (2 workers, access log off, keep-alive unlimited)
# serving the /health body of apiserver; its pid file is WORKDIR/nginx.pid.
start_bench_nginx() {
    local work=$1 port=$2
    cat >"$work/nginx.conf" <<NGX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$port reuseport;
        location /health { default_type application/json; return 200 '{"status":"ok"}'; }
    }
}
NGX
    nginx -c "$work/nginx.conf"
}

# start_bench_apiserver BINARY PORT LOGFILE: in the background (its pid in $!). Access logs
# off, no rate limit, no per-client cap (every wrk connection is one client), no database:
# this measures the HTTP server, not the log pipe, the limiter or PostgreSQL.
start_bench_apiserver() {
    PORT=$2 LOG_LEVEL=warning RATE_LIMIT_ENABLED=false MAX_CONNECTIONS=20000 MAX_CONNECTIONS_PER_CLIENT=0 \
        KEEPALIVE_TIMEOUT=120s HEADER_TIMEOUT=120s MIGRATE_ON_START=false "$1" serve >"$3" 2>&1 &
}
