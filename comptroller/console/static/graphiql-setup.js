// GraphiQL for Comptroller: every file it needs comes from this server (see vendor.py).
// Headers are not persisted, so a pasted token lives only as long as the tab.
(function () {
  "use strict";
  var WELCOME = [
    "# Comptroller's GraphQL API.",
    "#",
    "# 1. Paste a header into the Headers tab below:",
    '#      {"Authorization": "Bearer cpt_..."}',
    "#    (`comptroller demo` prints one per role).",
    "# 2. Run: Ctrl-Enter or the play button.",
    "#    Docs (the book icon) lists every type.",
    "",
    "{",
    "  viewer { email name }",
    "  projects { edges { node { id name viewerRoles viewerPermissions } } }",
    "}",
    "",
  ].join("\n");

  var params = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + "/graphql" });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: params.get("query") || WELCOME,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    })
  );
})();
