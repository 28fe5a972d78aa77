# Shared by bench scripts that compare with nginx (sourced after common.sh and bench_serve): Debian's
# nginx on another loopback port with Nära's server certificate, its CA and a client certificate
# required (ssl_verify_client on), 2 worker processes (one per core), serving the files in
# $BENCH_WORK/nginx/html. bench_nginx_start sets BENCH_NGINX_PORT and checks that nginx refuses a
# caller without a certificate, as Nära does.
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || { echo "bench: nginx is not installed (scripts/install-deps.sh)" >&2; exit 2; }
BENCH_NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BENCH_NGINX_ROOT=$BENCH_WORK/nginx
mkdir -p "$BENCH_NGINX_ROOT/html" "$BENCH_NGINX_ROOT/tmp"

bench_nginx_start() {
  local root=$BENCH_NGINX_ROOT check=$1  # check: a file under html/ to fetch once as the readiness test
  BENCH_NGINX_PORT=$(bench_free_port)
  cat >"$root/nginx.conf" <<NGINX
worker_processes 2;
pid $root/nginx.pid;
error_log $root/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $root/tmp/body;
  proxy_temp_path $root/tmp/proxy;
  fastcgi_temp_path $root/tmp/fastcgi;
  uwsgi_temp_path $root/tmp/uwsgi;
  scgi_temp_path $root/tmp/scgi;
  types { application/fhir+json json; }
  keepalive_requests 1000;
  server {
    listen 127.0.0.1:$BENCH_NGINX_PORT ssl;
    ssl_certificate $BENCH_PKI/server.pem;
    ssl_certificate_key $BENCH_PKI/server.key;
    ssl_client_certificate $BENCH_PKI/ca-bundle.pem;
    ssl_verify_client on;
    ssl_verify_depth 3;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $root/html;
  }
}
NGINX
  # `user` is ignored unless nginx runs as root; as root its workers must still read the files.
  [[ $(id -u) == 0 ]] && sed -i "1i user root;" "$root/nginx.conf"
  "$BENCH_NGINX" -p "$root" -c "$root/nginx.conf" -e "$root/error.log" -g 'daemon off;' &
  BENCH_NGINX_PID=$!
  trap 'kill "$BENCH_NGINX_PID" 2>/dev/null; wait "$BENCH_NGINX_PID" 2>/dev/null; kill "$BENCH_SERVER_PID" 2>/dev/null; wait "$BENCH_SERVER_PID" 2>/dev/null; bench_cleanup' EXIT
  local url="https://localhost:$BENCH_NGINX_PORT/$check"
  for _ in $(seq 1 50); do
    bench_curl_as ehr -f -o "$root/check" "$url" 2>/dev/null && break
    kill -0 "$BENCH_NGINX_PID" 2>/dev/null || { cat "$root/error.log" >&2; exit 1; }
    sleep 0.1
  done
  cmp -s "$root/check" "$root/html/$check" || { echo "bench: nginx does not serve $check" >&2; exit 1; }
  if curl -s -f --cacert "$BENCH_PKI/ca-bundle.pem" -o /dev/null "$url"; then
    echo "bench: nginx answered without a client certificate" >&2
    exit 1
  fi
}
