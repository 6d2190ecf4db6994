"""The learner's path in a real browser: `python3 tasks.py lab`, and the site that `tasks.py site` builds.

Headless Chromium (Debian's `chromium` package) is driven by Playwright; Playwright's own browser download is
never used. Without chromium these tests are skipped, except under CI (CI=true), where they fail: .ci/run
installs it. Neither test touches the user's Jupyter configuration or working copies: JupyterLab runs with
its config, data and runtime folders and the working copies in a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.slow  # about 75 s for both tests

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
# Flags for a headless Chromium that runs as root in a container and never calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]
STDERR_MIME = "application/vnd.jupyter.stderr"  # JupyterLab renders stderr streams and errors with it
CODE_CELLS_TO_RUN = 3


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required under CI)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    _require(chromium is not None, "Debian's chromium is not installed (as root: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser, allowed_prefixes: tuple[str, ...]):
    """A page whose requests outside `allowed_prefixes` are aborted and recorded in page.offsite."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.offsite, page.failed = [], []

    def guard(route):
        if route.request.url.startswith(allowed_prefixes):
            route.continue_()
        else:
            page.offsite.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("requestfailed", lambda request: page.failed.append(f"{request.url} ({request.failure})"))
    return page


def _checkout_state() -> dict:
    """What a learner's session must not change: git's view of the checkout, and the original notebooks."""
    digests = {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(NOTEBOOKS.rglob("*.ipynb"))}  # fmt: skip
    state = {"notebooks": digests}
    if shutil.which("git") and (ROOT / ".git").exists():
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                                capture_output=True, text=True, check=True)  # fmt: skip
        state["git status"] = status.stdout
    return state


def _screenshot(page, name: str, tmp_path: Path) -> None:
    # RNNCOURSE_SCREENSHOTS=DIR keeps the screenshots for a person to look at.
    folder = Path(os.environ.get("RNNCOURSE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lab_environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "TF_", "IPYTHON"))}
    folders = {name: tmp_path / name.lower() for name in
               ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}  # fmt: skip
    env.update({name: str(folder) for name, folder in folders.items()})
    env["RNNCOURSE_VENV"] = sys.prefix  # this venv: tasks.py finds it installed and up to date
    env["RNNCOURSE_WORK"] = str(tmp_path / "work")
    # Lab settings: every cell in the page (so stored figures can be inspected), no news pop-up.
    settings = folders["JUPYTER_CONFIG_DIR"] / "lab" / "user-settings" / "@jupyterlab"
    for extension, values in {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = settings / f"{extension}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return env


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"tasks.py lab exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> list:
    """Stop the server by its PID with SIGTERM, as a service manager would; return processes left alive."""
    import psutil

    if proc.poll() is not None:
        return []
    children = psutil.Process(proc.pid).children(recursive=True)  # the kernels
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("JupyterLab did not stop within 60 s of SIGTERM")
    _gone, alive = psutil.wait_procs(children, timeout=30)
    for leftover in alive:
        leftover.kill()
    return alive


def _code_cells(notebook: Path, count: int) -> list[tuple[int, bool]]:
    """(index, stored outputs include stderr or an error) of the notebook's first `count` code cells."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            outputs = cell.get("outputs", [])
            noisy = any(o["output_type"] == "error" or o.get("name") == "stderr" for o in outputs)
            found.append((index, noisy))
    return found[:count]


def _open_notebook(page, base: str, token: str, rel: str) -> None:
    # A workspace of its own per notebook, so the page shows that notebook alone.
    workspace = re.sub(r"\W", "-", rel)
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{rel}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    # The kernel is up when the status bar says so ("Python 3 (ipykernel) | Idle").
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=120_000)


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def _run_first_cells(page, rel: str) -> None:
    """Run the notebook's first code cells through the UI (Shift+Enter from the top) and check their outputs.

    The stored outputs are cleared first, so the prompts [1], [2], ... show that the cells ran now, in order.
    """
    cells = page.locator(".jp-NotebookPanel .jp-Cell")
    to_run = _code_cells(NOTEBOOKS / rel, CODE_CELLS_TO_RUN)
    _menu(page, "Edit", "Clear Outputs of All Cells")
    for index, _ in to_run:
        assert cells.nth(index).locator(".jp-InputPrompt").inner_text().strip() in ("[ ]:", "")
    cells.nth(0).locator(".jp-Cell-inputWrapper").click()
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs the selected cell and selects the next
    for _ in range(to_run[-1][0] + 1):
        page.keyboard.press("Shift+Enter")
    for count, (index, stored_noisy) in enumerate(to_run, start=1):
        prompt = cells.nth(index).locator(".jp-InputPrompt")
        page.wait_for_function(
            "el => /^\\[\\d+\\]:$/.test(el.textContent.trim())", arg=prompt.element_handle(), timeout=180_000
        )
        assert prompt.inner_text().strip() == f"[{count}]:", f"{rel}: cell {index} did not run in order"
        stderr = cells.nth(index).locator(f'.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]')
        if not stored_noisy:
            texts = stderr.all_inner_texts()
            assert not texts, f"{rel}: cell {index} printed to stderr or raised:\n" + "\n".join(texts)


def _save_and_check(page, copy: Path, original: Path) -> None:
    """Save as a learner would (File > Save Notebook): the run cells' new outputs must land in the copy."""
    before = copy.read_bytes()
    _menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + 60
    while copy.read_bytes() == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)  # not time.sleep: requests wait for the route handler, which runs here
    if copy.read_bytes() == before:
        page.screenshot(path=str(copy.with_suffix(".save-failed.png")))
    saved = json.loads(copy.read_text(encoding="utf-8"))
    counts = [saved["cells"][i]["execution_count"] for i, _ in _code_cells(original, CODE_CELLS_TO_RUN)]
    assert counts == list(range(1, len(counts) + 1)), f"{copy.name}: the save missed the copy ({counts})"


def test_lab_serves_working_copies_and_leaves_the_checkout_clean(browser, tmp_path):
    before = _checkout_state()
    stamp = Path(sys.prefix, "rnncourse-install.json")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed_before = stamp.exists() and json.loads(stamp.read_text()).get("pyproject") == digest
    env = _lab_environment(tmp_path)
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "lab.log"
    args = ["--no-browser", f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}"]
    start = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "tasks.py"), "lab", *args], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", proc, log)
        print(f"JupyterLab answered {time.monotonic() - start:.1f} s after `tasks.py lab`")
        output = log.read_text()
        if installed_before:  # tasks.py does not reinstall while pyproject.toml is the same
            assert "pyproject.toml unchanged" in output, output
        assert ("adding --allow-root" in output) == (os.geteuid() == 0), output
        # tasks.py became the server (exec), so the PID we hold is the server's and stopping it stops Jupyter.
        assert (tmp_path / "jupyter_runtime_dir" / f"jpserver-{proc.pid}.json").exists()

        work = Path(env["RNNCOURSE_WORK"])
        for rel in [*NOTEBOOKS.glob("*.ipynb"), *NOTEBOOKS.glob("exercises/*.ipynb")]:
            rel = rel.relative_to(NOTEBOOKS)
            assert (work / rel).read_bytes() == (NOTEBOOKS / rel).read_bytes(), f"{rel} was not copied as is"
        assert not (work / "exercises" / "solutions").exists()

        page = _new_page(browser, (base, "data:", "blob:"))
        course, exercise = "01_the_rnn_unit.ipynb", "exercises/01_the_rnn_unit_exercises.ipynb"
        _open_notebook(page, base, token, course)
        # A stored figure renders (checked before the cells are re-run and replace it).
        figure = page.locator(".jp-OutputArea-output img").first
        figure.scroll_into_view_if_needed()
        assert figure.evaluate("img => img.complete && img.naturalWidth > 100 && img.naturalHeight > 100")
        _screenshot(page, "lab_01_stored_figure.png", tmp_path)
        _run_first_cells(page, course)
        _screenshot(page, "lab_01_after_run.png", tmp_path)
        _save_and_check(page, work / course, NOTEBOOKS / course)

        _open_notebook(page, base, token, exercise)
        _run_first_cells(page, exercise)
        _screenshot(page, "lab_exercise_after_run.png", tmp_path)
        _save_and_check(page, work / exercise, NOTEBOOKS / exercise)
        assert page.offsite == [], f"JupyterLab tried to reach other hosts: {page.offsite}"
    finally:
        leftovers = _stop(proc)
    assert leftovers == [], f"kernels still running after the server stopped: {leftovers}"
    assert "KeyboardInterrupt" not in log.read_text()
    assert _checkout_state() == before, "a lab session changed the checkout"
    # A learner's copies in the default folder are ignored by git, so their work never shows as a change.
    ignored = subprocess.run(["git", "check-ignore", "-q", "my-work/01_the_rnn_unit.ipynb"], cwd=ROOT)
    assert ignored.returncode == 0, "my-work/ is not git-ignored"


RAW_TEX = re.compile(r"\$[^$\n]{0,80}[\\_^{][^$\n]{0,80}\$")  # TeX left between dollars: not typeset


def test_site_pages_load_with_figures_formulas_and_links(browser, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    out = tmp_path / "site"
    start = time.monotonic()
    subprocess.run([sys.executable, str(ROOT / "tasks.py"), "site", "--out", str(out)], cwd=ROOT, check=True,
                   env={**os.environ, "RNNCOURSE_VENV": sys.prefix}, timeout=600)  # fmt: skip
    print(f"site built in {time.monotonic() - start:.1f} s")

    expected = ["README", "docs/library", "docs/teaching", "docs/contributing",
                *(p.relative_to(ROOT).with_suffix("").as_posix() for p in
                [*sorted(NOTEBOOKS.glob("*.ipynb")), *sorted(NOTEBOOKS.glob("exercises/*.ipynb")),
                 *sorted(NOTEBOOKS.glob("exercises/solutions/*.ipynb"))])]  # fmt: skip
    for doc in expected:
        assert (out / f"{doc}.html").exists(), f"no page for {doc}"
    pages = sorted(p for p in out.rglob("*.html") if "_static" not in p.parts)
    page = _new_page(browser, ("file://", "data:", "blob:"))
    links, figures, formulas = set(), 0, 0
    for path in pages:
        page.goto(path.as_uri())
        # Every request of the page finished, not only the load event: leaving a page early cancels its
        # late scripts, which then show as failed requests (seen once on a busy CI machine).
        page.wait_for_load_state("networkidle")
        name = path.relative_to(out).as_posix()
        if page.locator("main .math").count():
            try:
                page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                       timeout=30_000)  # fmt: skip
            except PlaywrightTimeout:
                pytest.fail(f"{name}: MathJax did not start (requests blocked: {page.offsite[:3]})")
            page.evaluate("() => MathJax.startup.promise")  # resolves when the page is typeset
        broken = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], f"{name}: images that did not render: {broken}"
        figures += page.locator("main img").count()
        math = page.locator("main .math")
        formulas += math.count()
        untypeset = page.eval_on_selector_all(
            "main .math", "els => els.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent)"
        )
        assert untypeset == [], f"{name}: formulas not typeset: {untypeset[:3]}"
        assert page.locator("mjx-merror").count() == 0, f"{name}: MathJax reported a TeX error"
        prose = page.eval_on_selector_all(
            "main p, main li, main td, main h1, main h2, main h3",
            "els => els.map(e => { const c = e.cloneNode(true);"
            " c.querySelectorAll('code, pre, mjx-container').forEach(x => x.remove());"
            " return c.textContent; })",
        )
        raw = [m.group() for text in prose for m in RAW_TEX.finditer(text)]
        assert raw == [], f"{name}: formulas left as raw TeX: {raw[:3]}"
        links.update(page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"))
        if name in ("README.html", "notebooks/01_the_rnn_unit.html"):
            _screenshot(page, name.replace("/", "_").replace(".html", ".png"), tmp_path)
    assert page.failed == [], f"requests that failed: {page.failed[:5]}"
    assert page.offsite == [], f"the site tried to reach the network: {page.offsite[:5]}"
    assert figures >= 10 and formulas >= 10, (figures, formulas)  # the course has many of both

    texts: dict[Path, str] = {}
    broken_links = []
    for link in sorted(links):
        parts = urlsplit(link)
        if parts.scheme != "file":
            continue
        target = Path(unquote(parts.path))
        if not target.exists():
            broken_links.append(link)
        elif parts.fragment and target.suffix == ".html":
            text = texts.setdefault(target, target.read_text(encoding="utf-8"))
            if f'id="{unquote(parts.fragment)}"' not in text:
                broken_links.append(link)
    assert broken_links == [], f"broken internal links: {broken_links}"
    # The front page links to every course notebook.
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        assert any(link.endswith(f"/notebooks/{notebook.stem}.html") for link in links), notebook.name
