# Sourced by ./run and ./test: make .venv (once) and install a requirements file into it.
#   lobby_venv REQUIREMENTS STAMP [OTHER_FILE_THAT_TRIGGERS_A_REINSTALL...]
# PYTHON chooses the Python that makes .venv (default python3, which must be 3.11 or newer).

lobby_say() { printf '%s\n' "$*"; }
lobby_fail() { printf '%s\n' "$@" >&2; exit 1; }

lobby_no_venv_module() {
  lobby_fail \
    "Python này ($1) thiếu mô-đun venv/ensurepip nên chưa tạo được môi trường .venv." \
    "Trên Debian/Ubuntu, cài rồi chạy lại:  sudo apt-get install python3-venv" \
    "(This Python lacks venv/ensurepip: sudo apt-get install python3-venv, then run again.)"
}

lobby_venv() {
  local requirements=$1 stamp=".venv/$2" py=${PYTHON:-python3}
  shift 2
  # A .venv without pip (made where ensurepip was missing, or cut short) is made again.
  if [ -e .venv ] && { [ ! -x .venv/bin/python ] || [ ! -x .venv/bin/pip ]; }; then
    lobby_say "Thư mục .venv chưa hoàn chỉnh (thiếu pip): tạo lại. (.venv is incomplete: making it again)"
    rm -rf .venv
  fi
  if [ ! -e .venv ]; then
    command -v "$py" >/dev/null 2>&1 ||
      lobby_fail "Không tìm thấy $py. Cài Python 3.11: sudo apt-get install python3 python3-venv" \
        "(No $py found: sudo apt-get install python3 python3-venv)"
    "$py" -c 'import ensurepip, venv' >/dev/null 2>&1 || lobby_no_venv_module "$py"
    lobby_say "Đang tạo môi trường .venv… (creating .venv)"
    if ! "$py" -m venv .venv || [ ! -x .venv/bin/pip ]; then
      rm -rf .venv
      lobby_no_venv_module "$py"
    fi
  fi
  local newer=0 f
  for f in "$requirements" "$@"; do
    [ "$f" -nt "$stamp" ] && newer=1
  done
  if [ ! -f "$stamp" ] || [ "$newer" = 1 ]; then
    if [ -f "$stamp" ]; then
      lobby_say "Đang cập nhật thư viện theo $requirements… (updating dependencies)"
    else
      lobby_say "Đang cài đặt thư viện (lần đầu, khoảng 30 giây)… (installing dependencies, first run, about 30 s)"
    fi
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -r "$requirements"
    touch "$stamp"
    lobby_say "Đã cài đặt xong. (dependencies installed)"
  fi
}
