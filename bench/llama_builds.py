"""llama.cpp builds on this CPU, in one run: Qwen2.5-Coder-1.5B's prompt and generation tokens per
second with the build `make` installs, against other ways to build the same llama-cpp-python.

    .venv/bin/python -m bench.llama_builds [--work-dir DIR] [--repeats 3]

The builds (each but the first compiled once into DIR with `pip wheel`, about 4 minutes on 2 cores,
and kept there for the next run):

- `project`: the one in .venv, built by the Makefile (-march=native without AMX);
- `native-amx`: llama-cpp-python's default flags (-march=native, AMX included where the CPU has
  it), what `make` built before; on Xeons with AMX it segfaults (ggml-org/llama.cpp#20824);
- `portable-avx2`: a build for any x86-64 CPU since 2013 (AVX2, FMA, F16C; no AVX-512).

Each runs in a child process, so a build that crashes ends only its child (reported with its
signal): the model is loaded, a 460-token prompt of the shipped corpus evaluated (the raw prompt
floor), then 64 tokens decoded one at a time (the raw generation floor); best of `--repeats`.
Results, with the CPU's model name and flags: bench/results/llama_builds.json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "llama_builds.json"
PROMPT_TOKENS = 460
GENERATED_TOKENS = 64
LLAMA_CPP_SPEC = "llama-cpp-python==0.3.36"
BUILDS: dict[str, str | None] = {
    "project": None,
    "native-amx": "",
    "portable-avx2": "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON",
}
"""Build name -> CMAKE_ARGS (None: the build installed in this virtualenv)."""


def cpu() -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "flags") and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return {"model_name": fields.get("model name", platform.processor()), "flags": fields.get("flags", "")}


def build(name: str, cmake_args: str, work_dir: Path) -> Path:
    """The unpacked wheel of `name` (compiled on first use)."""
    site = work_dir / name / "site"
    if (site / "llama_cpp").is_dir():
        return site
    wheels = work_dir / name / "wheel"
    print(f"building {name} ({cmake_args or 'default flags'}), about 4 minutes", flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-cache-dir", "--no-binary",
         "llama-cpp-python", LLAMA_CPP_SPEC, "-w", str(wheels)],
        env={**os.environ, "CMAKE_ARGS": cmake_args}, check=True,
    )
    with zipfile.ZipFile(next(wheels.glob("*.whl"))) as wheel:
        wheel.extractall(site)
    return site


def measure(model: Path, threads: int, repeats: int) -> dict[str, Any]:
    """In the child: the raw prompt and generation floors of the llama.cpp on sys.path."""
    import llama_cpp

    from retrieval.ingest.readers import ArticleReader

    llm = llama_cpp.Llama(model_path=str(model), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    reader = ArticleReader(max_bytes=10**7)
    text = " ".join(reader.read_path(path).text for path in sorted((REPO / "corpus").glob("*.md")))
    prompt = llm.tokenize(text.encode("utf-8"))[:PROMPT_TOKENS]
    prompt_s, generate_s = [], []
    for _ in range(repeats):
        llm.reset()
        started = time.perf_counter()
        llm.eval(prompt)
        prompt_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(GENERATED_TOKENS):
            llm.eval(prompt[-1:])
        generate_s.append(time.perf_counter() - started)
    return {
        "system_info": llama_cpp.llama_print_system_info().decode().strip(),
        "prompt_tokens_per_s": round(PROMPT_TOKENS / min(prompt_s), 1),
        "generation_tokens_per_s": round(GENERATED_TOKENS / min(generate_s), 1),
    }


def run_child(site: Path | None, model: Path, threads: int, repeats: int) -> dict[str, Any]:
    path = os.pathsep.join(str(p) for p in (site, REPO) if p is not None)
    child = subprocess.run(
        [sys.executable, "-m", "bench.llama_builds", "--child", str(model), "--threads", str(threads),
         "--repeats", str(repeats)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True,
    )
    if child.returncode != 0:
        from retrieval.generation.worker import how_it_ended

        return {"ended": how_it_ended(child.returncode), "stderr_tail": child.stderr.strip().splitlines()[-3:]}
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/citebot-llama-builds"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from retrieval.generation.worker import physical_cores

    threads = args.threads or physical_cores()
    if args.child is not None:
        print(json.dumps(measure(args.child, threads, args.repeats)))
        return
    from retrieval.generation.local_model import assemble

    model = assemble()
    sites = {name: None if flags is None else build(name, flags, args.work_dir) for name, flags in BUILDS.items()}
    results: dict[str, Any] = {"cpu": cpu(), "threads": threads, "model": model.name, "prompt_tokens": PROMPT_TOKENS,
                               "generated_tokens": GENERATED_TOKENS, "repeats": args.repeats, "builds": {}}
    for name, site in sites.items():
        results["builds"][name] = {"cmake_args": BUILDS[name], **run_child(site, model, threads, args.repeats)}
        print(name, results["builds"][name], flush=True)
    project = results["builds"]["project"]
    for measured in results["builds"].values():
        if "prompt_tokens_per_s" in measured and "prompt_tokens_per_s" in project:
            measured["prompt_vs_project"] = round(measured["prompt_tokens_per_s"] / project["prompt_tokens_per_s"], 2)
            measured["generation_vs_project"] = round(
                measured["generation_tokens_per_s"] / project["generation_tokens_per_s"], 2
            )
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
