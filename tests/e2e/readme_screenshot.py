"""Take the README's screenshot: the leader's plan dashboard of the demo district, in Chinese, at
1440×900, after its sparklines are drawn. Not a test; run it against a server with the demo data:

    make run                      # or: manage.py load_demo, then runserver
    .venv/bin/python tests/e2e/readme_screenshot.py [http://127.0.0.1:8000] [docs/screenshot.png]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
DEMO_LEADER = ("leader", "Zhenhai#Demo2018")  # zhenhai_so/demo.py
CHROMIUM = "/usr/bin/chromium"


def main(base="http://127.0.0.1:8000", out=ROOT / "docs" / "screenshot.png"):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(locale="zh-CN", viewport={"width": 1440, "height": 900})
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", DEMO_LEADER[0])
        page.fill("#id_password", DEMO_LEADER[1])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/plan/")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector(".sparkline svg path")
        page.screenshot(path=str(out))
        browser.close()
    if problems:
        sys.exit(f"console errors: {problems}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
