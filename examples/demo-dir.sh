# Sourced by the examples' run-demo scripts: prepare_demo_dir DEFAULT makes the folder a demo
# writes to and exports DEMO_DIR. It is $DEMO_DIR when set (the tests give each run its own),
# else DEFAULT, and starts empty. A folder named by DEMO_DIR is emptied only when a demo made it
# (it holds .synchub-demo): a DEMO_DIR left in the shell never costs anyone their files.
prepare_demo_dir() {
  local dir=${DEMO_DIR:-$1}
  if [[ -n "${DEMO_DIR:-}" && -d "$dir" && -n "$(ls -A "$dir")" && ! -e "$dir/.synchub-demo" ]]; then
    echo "DEMO_DIR=$dir holds files that no demo wrote: choose an empty folder or unset DEMO_DIR" >&2
    exit 2
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  touch "$dir/.synchub-demo"
  DEMO_DIR=$(realpath "$dir")
  export DEMO_DIR
}
