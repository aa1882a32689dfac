"""The llama.cpp that `make` builds runs on the CPU it was built on: it uses what that CPU has
(AVX2, AVX-512, VNNI …) and holds no AMX code, whose kernels segfault on recent Xeons
(ggml-org/llama.cpp#20824). Checked on the installed library itself: llama.cpp's own report of its
CPU features, and the machine code of its CPU backend."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

AMX_INSTRUCTIONS = re.compile(
    r"\b(ldtilecfg|sttilecfg|tileloadd|tileloaddt1|tilestored|tilezero|tilerelease|tdpb[su]{2}d|tdpbf16ps|tdpfp16ps)\b"
)
# /proc/cpuinfo flag -> the feature llama.cpp reports when its build uses it.
CPU_FEATURES = {"avx2": "AVX2", "fma": "FMA", "f16c": "F16C", "avx512f": "AVX512", "avx512_vnni": "AVX512_VNNI",
                "avx512_bf16": "AVX512_BF16", "avx512vbmi": "AVX512_VBMI", "avx_vnni": "AVX_VNNI"}


def system_info() -> str:
    """What the installed llama.cpp says it was built with (in a child: nothing of it loads here)."""
    script = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120).stdout


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def test_llama_cpp_reports_no_amx_and_every_feature_of_this_cpu():
    info = system_info()
    reported = {name for name, value in re.findall(r"(\w+) = (\d)", info) if value == "1"}
    assert not any(name.startswith("AMX") for name in reported), info
    missing = {feature for flag, feature in CPU_FEATURES.items() if flag in cpu_flags()} - reported
    assert not missing, f"the build leaves out what this CPU has: {sorted(missing)}"


@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) reads the machine code")
def test_the_cpu_backend_holds_no_amx_instruction():
    spec = importlib.util.find_spec("llama_cpp")
    assert spec is not None and spec.origin is not None
    libraries = sorted((Path(spec.origin).parent / "lib").glob("libggml-cpu*.so*"))
    assert libraries, "llama-cpp-python ships its CPU backend as libggml-cpu"
    disassembly = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(libraries[0])], capture_output=True,
                                 text=True, check=True, timeout=300).stdout
    assert "vfmadd" in disassembly, "the disassembly is of real kernels"
    assert not AMX_INSTRUCTIONS.findall(disassembly)
