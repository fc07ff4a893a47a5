"""The aiohttp application: pages, REST API and static files."""
