"""The web app: FastAPI routes, Jinja2 templates, vendored ECharts; see :func:`ipcockpit.web.server.create_app`."""
