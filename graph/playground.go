package graph

import (
	"io"
	"net/http"
)

// servePlayground serves GraphiQL (loaded by the developer's browser from a
// CDN) pointed at /graphql. Only in local mode.
func servePlayground(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, playgroundHTML)
}

const playgroundHTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>renkei GraphiQL</title>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3.7.1/graphiql.min.css">
  <style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL… (it needs internet access for its scripts). Sign up with the mutation in the README, then set the header {"Authorization": "Bearer &lt;accessToken&gt;"}: introspection is only for signed-in callers.</div>
  <script crossorigin src="https://unpkg.com/react@18.3.1/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@3.7.1/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultEditorToolbarOpen: true, defaultHeaders: '{"Authorization": "Bearer "}' }));
  </script>
</body>
</html>
`
