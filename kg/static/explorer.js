/* diplo-kg SPARQL explorer: YASGUI against the local read-only endpoint, with the named
   competency queries as examples. Everything is local: no request leaves this server.
   Text from the data or the queries is only ever set with textContent. */
"use strict";
(function () {
  const endpoint = new URL("/sparql", window.location.href).href;
  const status = document.getElementById("status");
  const select = document.getElementById("named");
  const about = document.getElementById("about");
  const graphSection = document.getElementById("graph");
  const graphFrame = document.getElementById("graph-frame");
  const graphLink = document.getElementById("graph-link");
  let queries = {};

  function say(text, isError) {
    status.textContent = text || "";
    status.className = isError ? "error" : "";
  }

  document.getElementById("endpoint").textContent = endpoint;
  if (typeof window.Yasgui !== "function") {
    say("The query editor (yasgui.min.js) failed to load.", true);
    return;
  }
  const Yasgui = window.Yasgui;
  // no completer that asks a remote service (Linked Open Vocabularies) for terms
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes"];
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    populateFromUrl: false,
    persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasr: { prefixes: {} },
  });
  window.kgExplorer = yasgui;

  function tab() { return yasgui.getTab(); }

  function showGraph(queryText) {
    const url = "/graph?query=" + encodeURIComponent(queryText);
    graphLink.href = url;
    graphFrame.src = url;
    graphSection.hidden = false;
  }

  yasgui.on("queryResponse", function () {
    const current = tab();
    if (!current) { return; }
    const yasqe = current.getYasqe();
    const kind = yasqe.getQueryType ? String(yasqe.getQueryType()).toUpperCase() : "";
    let truncated = false;
    try {
      const results = current.getYasr().results;
      const raw = results && results.getOriginalResponse ? results.getOriginalResponse() : null;
      const doc = typeof raw === "string" ? JSON.parse(raw) : raw;
      truncated = Boolean(doc && doc.head && doc.head.truncated);
    } catch (err) {
      truncated = false;
    }
    say(truncated ? "The result was cut at the server's row limit (X-Result-Truncated)." : "");
    if (kind === "CONSTRUCT" || kind === "DESCRIBE") {
      showGraph(yasqe.getValue());
    } else {
      graphSection.hidden = true;
      graphFrame.removeAttribute("src");
    }
  });

  function describe(query) {
    about.hidden = !query;
    if (!query) { return; }
    document.getElementById("question").textContent = query.question;
    document.getElementById("returns").textContent = query.returns;
    document.getElementById("params").textContent = query.params.length
      ? query.params.map(function (p) { return "?" + p; }).join(", ") + " (edit the query to bind them)"
      : "none";
  }

  select.addEventListener("change", function () {
    const query = queries[select.value];
    describe(query);
    if (query) {
      tab().setQuery(query.text);
      say("Loaded “" + query.title + "”: press the run button.");
    }
  });

  fetch("/queries.json", { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (list) {
      list.forEach(function (query) {
        queries[query.name] = query;
        const option = document.createElement("option");
        option.value = query.name;
        option.textContent = query.name + ": " + query.title;
        select.appendChild(option);
      });
      document.body.dataset.queriesLoaded = String(list.length);
    })
    .catch(function (err) { say("Could not load the named queries (" + err.message + ").", true); });
})();
