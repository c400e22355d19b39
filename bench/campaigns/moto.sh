# Sourced by the campaign benchmarks (needs $work and $VENV): `endpoint` is
# STRATUS_TEST_AWS_ENDPOINT when set, else a moto started here on a free
# port, its pid in `moto_pid` for the caller's cleanup.
endpoint=${STRATUS_TEST_AWS_ENDPOINT:-}
if [[ -z $endpoint ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$work" && exec "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1) &
  moto_pid=$!
  endpoint="http://127.0.0.1:$port"
  for _ in $(seq 50); do curl -sf "$endpoint/moto-api/" >/dev/null && break; sleep 0.2; done
fi
