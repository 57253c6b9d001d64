"""Signing in through the real login form, as a person does."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page


def sign_in(page: Page, base_url: str, login: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{base_url}/login?next={quote(next_path)}")
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('button[type="submit"]')
