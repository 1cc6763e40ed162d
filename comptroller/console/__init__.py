"""The pages people open in a browser: the dashboard at ``/`` and GraphiQL at ``/graphql``.

Both are served whole by the app: our own HTML, CSS and JavaScript from ``static/``, and the
prebuilt third-party files (React, GraphiQL, Chart.js) from the npm packages that
``npm ci --prefix web`` installs (``vendor``). No page loads anything from another host.
"""
