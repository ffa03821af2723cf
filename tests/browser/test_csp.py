"""Every page works in Chromium under the app's Content-Security-Policy (issue 10).

Each page is opened in full-detail mode (Overview and Map also in aggregate-only mode), its maps
are left to draw (MapLibre starts blob: workers), and the page must have reported no CSP
violation (a ``securitypolicyviolation`` event or a "Refused to ..." console message) and no
console error. A control test proves the listener sees a violation when there is one.
"""

from __future__ import annotations

import pytest
from plotly.offline import get_plotlyjs_version

from tests.browser.conftest import wait_for_dash_idle, wait_for_maps_drawn

# Record every violation the page reports, from before the first script runs.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
));
"""
CSP_WORDS = ("Content Security Policy", "Refused to")

# path -> MapLibre maps the page draws (it is checked only once they have all drawn).
FULL_DETAIL_PAGES = {
    "/": 1,
    "/map": 1,
    "/scenarios": 1,
    "/outreach?district=Lilongwe": 1,
    "/data": 0,
    "/no-such-page": 0,
}
AGGREGATE_PAGES = {"/": 1, "/map": 1}


def open_under_csp(page, url: str, maps: int) -> dict[str, str]:
    """Open ``url`` with the violation listener, wait until its ``maps`` maps have drawn and
    its callbacks have answered; return the document's response headers."""
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.csp_console = console
    page.add_init_script(LISTEN)
    response = page.goto(url)
    page.wait_for_function(
        """(n) => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd => {
               const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
               return sub && sub.map && sub.map.loaded();
           }).length >= n""",
        arg=maps,
        timeout=60000,
    )
    wait_for_maps_drawn(page)
    wait_for_dash_idle(page)
    return response.headers


def csp_problems(page) -> list[str]:
    """Violations the page reported, as events and as console messages."""
    events = page.evaluate("window.__cspViolations")
    messages = [m for m in page.csp_console if any(word in m for word in CSP_WORDS)]
    return events + messages


def _assert_clean(page, headers: dict[str, str]) -> None:
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy  # the document is served under the policy
    assert csp_problems(page) == []
    assert page.console_errors == []
    assert page.blocked_requests == []
    # plotly.js is the vendored bundle of the app's traces, loaded once: plotly.py's full bundle
    # (dcc.Graph's fallback) is never fetched
    scripts = page.evaluate("Array.from(document.scripts, s => s.src).filter(Boolean)")
    assert not [s for s in scripts if "package_data/plotly" in s]
    assert [s for s in scripts if "/assets/vendor/plotly/plotly-kp.min.js" in s]
    assert page.evaluate("window.Plotly.version") == get_plotlyjs_version()


@pytest.mark.parametrize(("path", "maps"), list(FULL_DETAIL_PAGES.items()))
def test_full_detail_page_runs_under_the_policy(page, app_server, path: str, maps: int):
    headers = open_under_csp(page, app_server + path, maps)
    _assert_clean(page, headers)


@pytest.mark.parametrize(("path", "maps"), list(AGGREGATE_PAGES.items()))
def test_aggregate_page_runs_under_the_policy(page, aggregate_server, path: str, maps: int):
    headers = open_under_csp(page, aggregate_server + path, maps)
    _assert_clean(page, headers)


def test_the_listener_sees_a_violation(page, app_server):
    """Control: an injected inline script is refused, and reported."""
    open_under_csp(page, app_server + "/data", 0)
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__injected = true;';
                   document.head.appendChild(s); }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0", timeout=10000)
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in v for v in csp_problems(page))
