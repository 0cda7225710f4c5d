# Shared settings for the scripts that start and stop bardo (sourced).
# Override any of them from the environment:
#   BARDO_PORT  public port (9999)     BARDO_RUN   run folder (./run)
#   BARDO_BIN   programs' folder       BARDO_NGINX nginx binary
#   BARDO_API_ARGS extra arguments for both API instances
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BARDO_PORT=${BARDO_PORT:-9999}
BARDO_RUN=${BARDO_RUN:-$ROOT/run}
BARDO_BIN=${BARDO_BIN:-$ROOT/build/release/bin}
BARDO_NGINX=${BARDO_NGINX:-/usr/sbin/nginx}
STORE_ADDR="unix:$BARDO_RUN/store.sock"
API1_ADDR="unix:$BARDO_RUN/api-1.sock"
API2_ADDR="unix:$BARDO_RUN/api-2.sock"
