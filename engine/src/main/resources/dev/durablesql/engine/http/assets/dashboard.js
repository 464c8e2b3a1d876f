// The durable-sql dashboard: a list of instances and one instance's page, both read from the JSON
// API under /api, which answers as the signed-in role. Plain JavaScript, no build step. Data from
// the database is only ever inserted with textContent, never as HTML.
"use strict";

(function () {
  const TERMINAL = ["completed", "failed", "cancelled"];
  const STATUSES = ["pending", "running", "completed", "failed", "cancelled"];
  const state = {
    session: null,
    listTimer: null,
    instanceTimer: null,
    nextCursor: null,
    pagesLoaded: 1,
    instance: null,
    selected: null,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "class") element.className = value;
      else if (key === "text") element.textContent = value;
      else element.setAttribute(key, value);
    }
    for (const child of children) {
      if (child == null) continue;
      element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return element;
  }

  function statusBadge(status) {
    return el("span", { class: "status " + (status || "pending"), text: status || "pending" });
  }

  function when(text) {
    if (!text) return "";
    const date = new Date(text);
    return isNaN(date) ? text : date.toLocaleString();
  }

  function showBanner(message) {
    const banner = $("banner");
    banner.textContent = message || "";
    banner.hidden = !message;
  }

  // --- the API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, options) {
    const init = { method: "GET", headers: {}, credentials: "same-origin" };
    if (options && options.body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
      if (state.session) init.headers["X-CSRF-Token"] = state.session.csrfToken;
    }
    const response = await fetch(path, init);
    let body = {};
    try {
      body = await response.json();
    } catch (e) {
      body = { error: "the server answered " + response.status };
    }
    if (response.status === 401 && path !== "/api/session") {
      state.session = null;
      await start();
      throw new ApiError(401, body.error || "signed out");
    }
    if (!response.ok) throw new ApiError(response.status, body.error || "failed: " + response.status);
    return body;
  }

  // --- session

  async function start() {
    stopTimers();
    try {
      state.session = await api("/api/session");
    } catch (error) {
      state.session = null;
      if (error.status === 401) {
        showOnly(null);
        if (/password/.test(error.message) || !/header/.test(error.message)) {
          showOnly("sign-in-view");
          $("sign-in-role").focus();
        } else {
          showBanner(error.message);
        }
        $("who").hidden = true;
        $("sign-out").hidden = true;
        return;
      }
      showBanner("The dashboard cannot reach the engine: " + error.message);
      return;
    }
    showBanner("");
    $("who").textContent = "role " + state.session.role;
    $("who").hidden = false;
    $("sign-out").hidden = state.session.auth !== "password";
    route();
  }

  async function signIn(event) {
    event.preventDefault();
    const error = $("sign-in-error");
    error.hidden = true;
    $("sign-in-button").disabled = true;
    try {
      state.session = await api("/api/session", {
        body: { role: $("sign-in-role").value.trim(), password: $("sign-in-password").value },
      });
      $("sign-in-password").value = "";
      await start();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      $("sign-in-button").disabled = false;
    }
  }

  async function signOut() {
    try {
      await api("/api/sign-out", { body: {} });
    } catch (e) {
      // Signed out already.
    }
    state.session = null;
    location.hash = "#/";
    await start();
  }

  // --- routing between the list and an instance

  function showOnly(id) {
    for (const view of ["sign-in-view", "list-view", "instance-view"]) {
      $(view).hidden = view !== id;
    }
  }

  function stopTimers() {
    clearTimeout(state.listTimer);
    clearTimeout(state.instanceTimer);
    state.listTimer = null;
    state.instanceTimer = null;
  }

  function route() {
    if (!state.session) return;
    stopTimers();
    const match = /^#\/instances\/([0-9a-f]{8})$/.exec(location.hash);
    if (match) {
      showOnly("instance-view");
      if (!state.instance || state.instance.instance.id !== match[1]) {
        state.instance = null;
        state.selected = null;
        $("graph").replaceChildren();
        $("node-details").replaceChildren(el("p", { class: "muted", text: "Click a node of the graph." }));
        $("event-rows").replaceChildren();
        $("instance-facts").replaceChildren();
        $("signal-name").value = "";
      }
      loadInstance(match[1]);
    } else {
      showOnly("list-view");
      state.pagesLoaded = 1;
      loadList(false);
    }
  }

  // --- the list

  function filterQuery() {
    const params = new URLSearchParams();
    const put = (name, value) => {
      if (value && value.trim()) params.set(name, value.trim());
    };
    put("status", $("filter-status").value);
    put("label", $("filter-label").value);
    put("role", $("filter-role").value);
    const time = (value) => (value ? new Date(value).toISOString() : "");
    put("createdAfter", time($("filter-after").value));
    put("createdBefore", time($("filter-before").value));
    return params;
  }

  async function loadList(more) {
    const params = filterQuery();
    if (more && state.nextCursor) params.set("after", state.nextCursor);
    let page;
    try {
      page = await api("/api/instances?" + params.toString());
      showBanner("");
    } catch (error) {
      if (error.status !== 401) showBanner(error.message);
      scheduleList();
      return;
    }
    renderCounts(page.counts);
    const rows = $("instance-rows");
    if (!more) rows.replaceChildren();
    for (const instance of page.instances) {
      const link = el("a", { href: "#/instances/" + instance.id, class: "mono", text: instance.id });
      const row = el(
        "tr",
        { "data-instance-id": instance.id },
        el("td", {}, link),
        el("td", { text: instance.label || "" }),
        el("td", {}, statusBadge(instance.status)),
        el("td", { text: instance.role || "" }),
        el("td", { text: when(instance.createdAt) }),
        el("td", { text: when(instance.updatedAt) }),
        el("td", { class: "output", text: instance.output || "", title: instance.output || "" })
      );
      row.addEventListener("click", (event) => {
        if (event.target.tagName !== "A") location.hash = "#/instances/" + instance.id;
      });
      rows.appendChild(row);
    }
    state.nextCursor = page.nextCursor;
    if (more) state.pagesLoaded += 1;
    $("more").hidden = !page.nextCursor;
    $("list-empty").hidden = rows.children.length > 0;
    scheduleList();
  }

  function renderCounts(counts) {
    const box = $("counts");
    box.replaceChildren();
    const active = $("filter-status").value;
    for (const status of STATUSES) {
      const button = el(
        "button",
        { type: "button", class: active === status ? "active" : "", "data-status": status },
        statusBadge(status),
        el("b", { text: String((counts && counts[status]) || 0) })
      );
      button.addEventListener("click", () => {
        $("filter-status").value = active === status ? "" : status;
        state.pagesLoaded = 1;
        loadList(false);
      });
      box.appendChild(button);
    }
  }

  // Refreshes the first page every 3 s while auto-refresh is on and only one page is shown.
  function scheduleList() {
    clearTimeout(state.listTimer);
    if ($("list-view").hidden || !$("auto-refresh").checked || state.pagesLoaded > 1) return;
    state.listTimer = setTimeout(() => loadList(false), 3000);
  }

  // --- one instance

  async function loadInstance(id) {
    let page;
    try {
      page = await api("/api/instances/" + id);
      showBanner("");
    } catch (error) {
      if (error.status === 404) {
        showBanner("Instance " + id + " does not exist, or your role cannot see it.");
        $("instance-title").textContent = "Instance " + id;
        return;
      }
      if (error.status !== 401) showBanner(error.message);
      scheduleInstance(id, true);
      return;
    }
    state.instance = page;
    renderInstance(page);
    scheduleInstance(id, TERMINAL.includes(page.instance.status));
  }

  // Polls every second while the instance runs; a finished one is read again every 10 s.
  function scheduleInstance(id, finished) {
    clearTimeout(state.instanceTimer);
    $("live").textContent = finished ? "" : "live \u2022 updates every second";
    state.instanceTimer = setTimeout(() => {
      if (location.hash === "#/instances/" + id) loadInstance(id);
    }, finished ? 10000 : 1000);
  }

  function renderInstance(page) {
    const instance = page.instance;
    $("instance-title").textContent = "Instance " + instance.id + (instance.label ? " \u2014 " + instance.label : "");
    const badge = $("instance-status");
    badge.className = "status " + instance.status;
    badge.textContent = instance.status;
    const facts = $("instance-facts");
    facts.replaceChildren();
    const fact = (term, value, wide) => {
      if (value == null || value === "") return;
      facts.appendChild(el("div", {}, el("dt", { text: term }), el("dd", { class: wide ? "wide" : "", text: String(value) })));
    };
    fact("Role", instance.role);
    fact("Created", when(instance.createdAt));
    fact("Updated", when(instance.updatedAt));
    fact("Completed", when(instance.completedAt));
    fact("Executions", instance.executionCount);
    fact("Database", instance.database);
    fact("Output", instance.output, true);
    const finished = TERMINAL.includes(instance.status);
    $("cancel-button").disabled = finished;
    $("signal-button").disabled = finished;

    // Offers the name of the signal the instance waits for, unless the user typed one.
    const waiting = page.nodes.find((n) => n.type === "SIGNAL" && n.inferredStatus === "running");
    const nameField = $("signal-name");
    if (waiting && !nameField.value && document.activeElement !== nameField) {
      try {
        nameField.value = JSON.parse(waiting.query).signal_name || "";
      } catch (e) {
        // A configuration that is not JSON names no signal.
      }
    }
    window.DurableGraph.draw($("graph"), page.nodes, instance.rootNode, state.selected, selectNode);
    renderNode();
    renderEvents(page);
  }

  function selectNode(id) {
    state.selected = id;
    if (state.instance) {
      window.DurableGraph.draw($("graph"), state.instance.nodes, state.instance.instance.rootNode, id, selectNode);
    }
    renderNode();
  }

  function renderNode() {
    const box = $("node-details");
    const page = state.instance;
    const node = page && page.nodes.find((n) => n.id === state.selected);
    if (!node) {
      box.replaceChildren(el("p", { class: "muted", text: "Click a node of the graph." }));
      return;
    }
    const attempts = page.attempts.find((a) => a.nodeId === node.id);
    const policy = page.policies.find((p) => p.nodeId === node.id);
    const details = node.statusDetails || {};
    const status = node.inferredStatus || node.status;
    const kv = el("dl", { class: "kv" });
    const row = (term, value) => {
      if (value == null || value === "") return;
      kv.appendChild(el("dt", { text: term }));
      kv.appendChild(el("dd", { text: String(value) }));
    };
    row("Node", node.id);
    row("Type", node.type);
    row("Result name", node.resultName);
    row("Stored status", node.status);
    row("Inferred", node.inferredStatus + (node.inferredFrom ? " (from " + node.inferredFrom + ")" : ""));
    row("Created", when(node.createdAt));
    row("Updated", when(node.updatedAt));
    row("Execution", details.execution_id);
    row("Attempts", attempts ? attempts.attempts + (attempts.updatedAt ? " (last " + when(attempts.updatedAt) + ")" : "") : "1 or none");
    row("Policy", policy ? JSON.stringify(policy.policy) : "");
    const children = [el("h3", {}, statusBadge(status), " " + node.type + " " + node.id), kv];
    if (node.query) {
      children.push(el("h2", { text: node.type === "SQL" ? "SQL" : "Configuration" }), el("pre", { text: node.query }));
    }
    if (attempts && attempts.lastError) {
      children.push(el("h2", { text: "Last retried error" }), el("pre", { text: attempts.lastError }));
    }
    if (node.result != null) {
      const title = node.status === "failed" ? "Error" : "Result";
      let text = node.result;
      try {
        text = JSON.stringify(JSON.parse(node.result), null, 2);
      } catch (e) {
        // Not JSON: shown as it is.
      }
      if (node.resultLength > node.result.length) text += "\n\u2026 (" + node.resultLength + " characters in all)";
      children.push(el("h2", { text: title }), el("pre", { class: node.status === "failed" ? "error" : "", text: text }));
    }
    if (details.map) {
      children.push(el("h2", { text: "Map progress" }), el("pre", { text: JSON.stringify(details.map) }));
    }
    box.replaceChildren(...children);
  }

  function renderEvents(page) {
    const rows = [];
    for (const event of page.events) {
      rows.push({
        at: event.at,
        what: event.kind,
        node: event.nodeId,
        by: event.engine || (event.detail && event.detail.session_user) || "",
        detail: event.detail ? JSON.stringify(event.detail) : "",
      });
    }
    for (const signal of page.signals) {
      rows.push({
        at: signal.sentAt,
        what: "signal '" + signal.name + "' sent" + (signal.consumedAt ? ", taken " + when(signal.consumedAt) : ", waiting for a wait"),
        node: "",
        by: signal.sentBy,
        detail: JSON.stringify(signal.payload),
      });
    }
    rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    const body = $("event-rows");
    body.replaceChildren(
      ...rows.map((r) =>
        el(
          "tr",
          {},
          el("td", { text: when(r.at) }),
          el("td", { text: r.what }),
          el("td", { class: "mono", text: r.node || "" }),
          el("td", { text: r.by }),
          el("td", { class: "detail mono", text: r.detail })
        )
      )
    );
    if (rows.length === 0) {
      body.appendChild(el("tr", {}, el("td", { colspan: "5", class: "muted", text: "Nothing yet." })));
    }
  }

  // --- actions, each behind a confirmation

  function confirmDialog(title, text, withReason) {
    const dialog = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-text").replaceChildren(...text);
    $("confirm-reason-label").hidden = !withReason;
    return new Promise((resolve) => {
      dialog.addEventListener(
        "close",
        () => resolve(dialog.returnValue === "yes" ? { reason: $("confirm-reason").value } : null),
        { once: true }
      );
      dialog.returnValue = "";
      dialog.showModal();
      $("confirm-yes").focus();
    });
  }

  async function sendSignal(event) {
    event.preventDefault();
    const page = state.instance;
    if (!page) return;
    const name = $("signal-name").value.trim();
    const payload = $("signal-payload").value;
    const answer = await confirmDialog(
      "Send signal?",
      [
        "Send signal ",
        el("b", { text: "'" + name + "'" }),
        " to instance " + page.instance.id + " with this payload:",
        el("pre", { text: payload || "{}" }),
      ],
      false
    );
    if (!answer) return;
    try {
      const result = await api("/api/instances/" + page.instance.id + "/signal", {
        body: { name: name, payload: payload },
      });
      showBanner("");
      $("live").textContent = "signal sent: " + result.result;
      loadInstance(page.instance.id);
    } catch (error) {
      showBanner("The signal was not sent: " + error.message);
    }
  }

  async function cancelInstance() {
    const page = state.instance;
    if (!page) return;
    const answer = await confirmDialog(
      "Cancel instance " + page.instance.id + "?",
      ["Running steps are stopped and the instance ends as cancelled. Steps that finished keep their effects."],
      true
    );
    if (!answer) return;
    try {
      await api("/api/instances/" + page.instance.id + "/cancel", { body: { reason: answer.reason } });
      showBanner("");
      loadInstance(page.instance.id);
    } catch (error) {
      showBanner("The instance was not cancelled: " + error.message);
    }
  }

  // --- wiring

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      state.pagesLoaded = 1;
      loadList(false);
    });
    $("filters").addEventListener("reset", () => {
      setTimeout(() => {
        state.pagesLoaded = 1;
        loadList(false);
      }, 0);
    });
    $("more").addEventListener("click", () => loadList(true));
    $("auto-refresh").addEventListener("change", scheduleList);
    $("signal-form").addEventListener("submit", sendSignal);
    $("cancel-button").addEventListener("click", cancelInstance);
    window.addEventListener("hashchange", route);
    start();
  });
})();
