// Draws a workflow instance's graph as SVG: THEN as a vertical chain, JOIN and RACE branches side
// by side, IF with its condition and its two arms, LOOP and MAP as frames around their body (with
// the iteration, or rows done of total). Each node is coloured by its inferred status
// (df.instance_nodes). All text goes in through textContent: node queries and results are data.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const LEAF_W = 236;
  const LEAF_H = 52;
  const PILL_W = 150;
  const PILL_H = 30;
  const GAP_X = 26;
  const GAP_Y = 30;
  const PAD = 14;
  const LABEL_H = 16;
  const MAX_CHARS = 33;

  function parseConfig(text) {
    if (!text) return null;
    try {
      const value = JSON.parse(text);
      return value && typeof value === "object" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function oneLine(text, max) {
    const flat = String(text == null ? "" : text).replace(/\s+/g, " ").trim();
    return flat.length > max ? flat.slice(0, max - 1) + "\u2026" : flat;
  }

  function statusOf(node) {
    return (node && (node.inferredStatus || node.status)) || "pending";
  }

  // --- the tree to draw, from the flat node rows

  function buildTree(nodes, rootId) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const seen = new Set();

    function element(id) {
      const node = byId.get(id);
      if (!node || seen.has(id)) {
        return { kind: "leaf", node: { id: id, type: "?", query: "missing node " + id } };
      }
      seen.add(id);
      const config = parseConfig(node.query);
      switch (node.type) {
        case "THEN": {
          const items = [];
          const collect = (childId) => {
            const child = byId.get(childId);
            if (child && child.type === "THEN" && !seen.has(childId)) {
              seen.add(childId);
              collect(child.left);
              collect(child.right);
            } else if (childId) {
              items.push(element(childId));
            }
          };
          collect(node.left);
          collect(node.right);
          return { kind: "seq", node: node, items: items };
        }
        case "JOIN":
        case "RACE": {
          const ids = [node.left, node.right].concat((config && config.extra_nodes) || []);
          const branches = ids.filter(Boolean).map(element);
          const label = node.type === "JOIN" ? "JOIN (" + branches.length + ")" : "RACE";
          return { kind: "par", node: node, label: label, branches: branches };
        }
        case "IF": {
          const condition = config && config.condition_node ? element(config.condition_node) : null;
          return {
            kind: "if",
            node: node,
            condition: condition,
            then: node.left ? element(node.left) : null,
            otherwise: node.right ? element(node.right) : null,
          };
        }
        case "LOOP": {
          const body = node.left ? element(node.left) : null;
          const condition = config && config.condition_node ? element(config.condition_node) : null;
          const items = [body, condition].filter(Boolean);
          return {
            kind: "frame",
            node: node,
            label: loopLabel(node, condition, byId),
            body: items.length === 1 ? items[0] : { kind: "seq", node: null, items: items },
          };
        }
        case "MAP": {
          const details = node.statusDetails || {};
          return {
            kind: "frame",
            node: node,
            label: mapLabel(node, config, details.map),
            progress: details.map || null,
            body: node.left ? element(node.left) : { kind: "seq", node: null, items: [] },
          };
        }
        default:
          return { kind: "leaf", node: node };
      }
    }

    return element(rootId);
  }

  // The iteration: the generation of the loop's scope, the last part of its body's stamp
  // ("<instance>::<n>" for a loop at the root, "<scope>::<g>::<loop node>::<n>" inside another).
  function loopLabel(node, condition, byId) {
    let label = condition ? "LOOP (while)" : "LOOP (infinite)";
    const body = byId.get(node.left);
    const stamp = body && body.statusDetails && body.statusDetails.execution_id;
    const parts = stamp ? String(stamp).split("::") : [];
    if (parts.length >= 2 && /^[0-9]+$/.test(parts[parts.length - 1])) {
      label += " \u00b7 iteration " + parts[parts.length - 1];
    }
    return label + name(node);
  }

  function mapLabel(node, config, progress) {
    if (progress && progress.rows != null) {
      let label = "MAP rows " + (progress.done || 0) + "/" + progress.rows + " done";
      if (progress.failed) label += ", " + progress.failed + " failed";
      if (progress.running) label += ", " + progress.running + " running";
      return label + name(node);
    }
    const parallel = config && config.max_parallel ? " (" + config.max_parallel + " at a time)" : "";
    return "MAP" + parallel + name(node);
  }

  function name(node) {
    return node.resultName ? " |=> '" + node.resultName + "'" : "";
  }

  // What a step box says: its kind on the first line, what it does on the second.
  function leafText(node) {
    const config = parseConfig(node.query);
    switch (node.type) {
      case "SQL":
        return ["SQL" + name(node), oneLine(node.query, MAX_CHARS)];
      case "SLEEP":
        return ["SLEEP" + name(node), oneLine(node.query, 20) + " s"];
      case "SIGNAL":
        return [
          "SIGNAL" + name(node),
          "wait for '" + ((config && config.signal_name) || "?") + "'" +
            (config && config.timeout_seconds ? " (" + config.timeout_seconds + " s)" : ""),
        ];
      case "WAIT_SCHEDULE":
        return ["WAIT" + name(node), oneLine((config && config.cron_expr) || node.query, MAX_CHARS)];
      case "HTTP":
      case "HTTP_MULTIPART":
        return [
          node.type + name(node),
          oneLine(((config && config.method) || "?") + " " + ((config && config.url) || ""), MAX_CHARS),
        ];
      case "ACTIVITY":
        return ["ACTIVITY" + name(node), oneLine((config && config.activity_type) || "?", MAX_CHARS)];
      case "BREAK":
        return ["BREAK" + name(node), config && config.break_value != null ? oneLine(JSON.stringify(config.break_value), MAX_CHARS) : ""];
      default:
        return [(node.type || "?") + name(node), oneLine(node.query, MAX_CHARS)];
    }
  }

  // --- sizes

  function measure(element) {
    if (element.size) return element.size;
    let size;
    switch (element.kind) {
      case "leaf":
        size = { w: LEAF_W, h: LEAF_H };
        break;
      case "seq": {
        const sizes = element.items.map(measure);
        size = {
          w: Math.max(PILL_W, ...sizes.map((s) => s.w)),
          h: sizes.reduce((sum, s) => sum + s.h, 0) + GAP_Y * Math.max(0, sizes.length - 1),
        };
        break;
      }
      case "par": {
        const sizes = element.branches.map(measure);
        const row = sizes.reduce((sum, s) => sum + s.w, 0) + GAP_X * Math.max(0, sizes.length - 1);
        size = {
          w: Math.max(PILL_W, row),
          h: PILL_H + GAP_Y + Math.max(0, ...sizes.map((s) => s.h)) + GAP_Y,
        };
        break;
      }
      case "if": {
        const condition = element.condition ? measure(element.condition) : { w: 0, h: 0 };
        const arms = [element.then, element.otherwise].map((arm) => (arm ? measure(arm) : { w: PILL_W, h: 0 }));
        const row = arms[0].w + GAP_X + arms[1].w;
        size = {
          w: Math.max(PILL_W, condition.w, row),
          h: PILL_H + GAP_Y + (element.condition ? condition.h + GAP_Y : 0) + LABEL_H +
            Math.max(arms[0].h, arms[1].h) + GAP_Y,
        };
        break;
      }
      case "frame": {
        const body = measure(element.body);
        const title = Math.min(420, Math.max(PILL_W, element.label.length * 7 + 24));
        size = {
          w: Math.max(body.w, title) + 2 * PAD,
          h: PILL_H + (element.progress ? 14 : 0) + GAP_Y / 2 + body.h + PAD,
        };
        break;
      }
      default:
        size = { w: LEAF_W, h: LEAF_H };
    }
    element.size = size;
    return size;
  }

  // --- drawing

  function make(tag, attributes, parent) {
    const element = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      element.setAttribute(key, String(value));
    }
    if (parent) parent.appendChild(element);
    return element;
  }

  function text(parent, x, y, value, className, anchor) {
    const t = make("text", { x: x, y: y, class: className || "", "text-anchor": anchor || "start" }, parent);
    t.textContent = value;
    return t;
  }

  function arrow(layer, x1, y1, x2, y2) {
    const middle = (y1 + y2) / 2;
    const d = x1 === x2
      ? "M" + x1 + "," + y1 + " L" + x2 + "," + (y2 - 1)
      : "M" + x1 + "," + y1 + " C" + x1 + "," + middle + " " + x2 + "," + middle + " " + x2 + "," + (y2 - 1);
    make("path", { d: d, class: "edge", "marker-end": "url(#arrow)" }, layer);
  }

  function line(layer, x1, y1, x2, y2) {
    const middle = (y1 + y2) / 2;
    make("path", {
      d: "M" + x1 + "," + y1 + " C" + x1 + "," + middle + " " + x2 + "," + middle + " " + x2 + "," + y2,
      class: "edge",
    }, layer);
  }

  function nodeGroup(parent, node, extraClass, context) {
    const group = make("g", {
      class: "node " + extraClass + " " + statusOf(node) + (node.id === context.selected ? " selected" : ""),
      "data-node-id": node.id,
      tabindex: 0,
      role: "button",
    }, parent);
    const title = make("title", {}, group);
    title.textContent = node.type + " " + node.id + ": " + statusOf(node);
    return group;
  }

  function drawLeaf(layer, element, x, y, context) {
    const node = element.node;
    const group = nodeGroup(layer, node, "leaf", context);
    make("rect", { x: x, y: y, width: LEAF_W, height: LEAF_H, rx: 8 }, group);
    const lines = leafText(node);
    text(group, x + 10, y + 19, oneLine(lines[0], 26), "title");
    text(group, x + LEAF_W - 10, y + 19, statusOf(node), "line", "end");
    text(group, x + 10, y + 39, lines[1], "line mono");
    return { top: [x + LEAF_W / 2, y], bottom: [x + LEAF_W / 2, y + LEAF_H] };
  }

  function drawPill(layer, node, label, x, y, context) {
    const group = nodeGroup(layer, node, "pill", context);
    make("rect", { x: x, y: y, width: PILL_W, height: PILL_H, rx: 15 }, group);
    text(group, x + PILL_W / 2, y + 19, oneLine(label, 22), "title", "middle");
    return group;
  }

  // Draws element with its box's top-left corner at (x, y), centred in width w.
  function draw(layer, element, x, y, w, context) {
    const size = measure(element);
    const left = x + (w - size.w) / 2;
    const centre = left + size.w / 2;
    switch (element.kind) {
      case "leaf":
        return drawLeaf(layer, element, centre - LEAF_W / 2, y, context);
      case "seq": {
        if (element.items.length === 0) {
          return { top: [centre, y], bottom: [centre, y] };
        }
        let top = y;
        let first = null;
        let previous = null;
        for (const item of element.items) {
          const anchors = draw(layer, item, left, top, size.w, context);
          if (previous) arrow(layer, previous.bottom[0], previous.bottom[1], anchors.top[0], anchors.top[1]);
          first = first || anchors;
          previous = anchors;
          top += measure(item).h + GAP_Y;
        }
        return { top: first.top, bottom: previous.bottom };
      }
      case "par": {
        drawPill(layer, element.node, element.label, centre - PILL_W / 2, y, context);
        const widths = element.branches.map((b) => measure(b).w);
        const row = widths.reduce((a, b) => a + b, 0) + GAP_X * Math.max(0, widths.length - 1);
        let bx = centre - row / 2;
        const branchTop = y + PILL_H + GAP_Y;
        const bottom = y + size.h;
        for (const branch of element.branches) {
          const bw = measure(branch).w;
          const anchors = draw(layer, branch, bx, branchTop, bw, context);
          arrow(layer, centre, y + PILL_H, anchors.top[0], anchors.top[1]);
          line(layer, anchors.bottom[0], anchors.bottom[1], centre, bottom - 4);
          bx += bw + GAP_X;
        }
        make("rect", { x: centre - 24, y: bottom - 5, width: 48, height: 5, rx: 2, class: "arrow" }, layer);
        return { top: [centre, y], bottom: [centre, bottom] };
      }
      case "if": {
        drawPill(layer, element.node, "IF" + name(element.node), centre - PILL_W / 2, y, context);
        let top = y + PILL_H + GAP_Y;
        let from = [centre, y + PILL_H];
        if (element.condition) {
          const anchors = draw(layer, element.condition, left, top, size.w, context);
          arrow(layer, from[0], from[1], anchors.top[0], anchors.top[1]);
          from = anchors.bottom;
          top += measure(element.condition).h + GAP_Y;
        } else {
          text(layer, centre + 8, top - 10, "rows of the named result?", "branch-label");
        }
        const arms = [element.then, element.otherwise];
        const widths = arms.map((arm) => (arm ? measure(arm).w : PILL_W));
        const row = widths[0] + GAP_X + widths[1];
        let ax = centre - row / 2;
        const bottom = y + size.h;
        ["then", "else"].forEach((label, i) => {
          text(layer, ax + widths[i] / 2 - 8, top + 11, label, "branch-label", "end");
          if (arms[i]) {
            const anchors = draw(layer, arms[i], ax, top + LABEL_H, widths[i], context);
            arrow(layer, from[0], from[1], anchors.top[0], anchors.top[1]);
            line(layer, anchors.bottom[0], anchors.bottom[1], centre, bottom - 4);
          }
          ax += widths[i] + GAP_X;
        });
        make("rect", { x: centre - 24, y: bottom - 5, width: 48, height: 5, rx: 2, class: "arrow" }, layer);
        return { top: [centre, y], bottom: [centre, bottom] };
      }
      case "frame": {
        const node = element.node;
        make("rect", { x: left, y: y, width: size.w, height: size.h, rx: 12, class: "frame " + statusOf(node) }, layer);
        const titleWidth = size.w - 2 * PAD;
        const group = nodeGroup(layer, node, "pill", context);
        make("rect", { x: left + PAD, y: y + 6, width: titleWidth, height: PILL_H - 6, rx: 12 }, group);
        text(group, left + PAD + 12, y + 23, oneLine(element.label, Math.floor(titleWidth / 7)), "title");
        let top = y + PILL_H + GAP_Y / 2;
        if (element.progress && element.progress.rows) {
          const p = element.progress;
          const barX = left + PAD;
          const barY = y + PILL_H + 4;
          make("rect", { x: barX, y: barY, width: titleWidth, height: 7, rx: 3, class: "progress-track" }, layer);
          const done = Math.min(1, (p.done || 0) / p.rows);
          const failed = Math.min(1 - done, (p.failed || 0) / p.rows);
          make("rect", { x: barX, y: barY, width: titleWidth * done, height: 7, rx: 3, class: "progress-done" }, layer);
          if (failed > 0) {
            make("rect", { x: barX + titleWidth * done, y: barY, width: titleWidth * failed, height: 7, class: "progress-failed" }, layer);
          }
          top += 14;
        }
        const anchors = draw(layer, element.body, left + PAD, top, size.w - 2 * PAD, context);
        if (node.type === "LOOP" && measure(element.body).h > 0) {
          // The way back to the next iteration, on the left.
          const bx = left + 7;
          make("path", {
            d: "M" + (anchors.bottom[0] - 20) + "," + (anchors.bottom[1] + 4) + " L" + bx + "," + (anchors.bottom[1] + 4) +
              " L" + bx + "," + (top - 4) + " L" + (anchors.top[0] - 20) + "," + (top - 4),
            class: "edge",
            "marker-end": "url(#arrow)",
          }, layer);
        }
        return { top: [centre, y], bottom: [centre, y + size.h] };
      }
      default:
        return { top: [centre, y], bottom: [centre, y] };
    }
  }

  /**
   * Draws nodes (rows of /api/instances/{id}) into container. selected is the id of the selected
   * node; onSelect(id) is called when the user clicks or presses Enter on a node.
   */
  function drawGraph(container, nodes, rootId, selected, onSelect) {
    const tree = buildTree(nodes, rootId);
    const size = measure(tree);
    const margin = 16;
    const svg = make("svg", {
      width: size.w + 2 * margin,
      height: size.h + 2 * margin,
      viewBox: "0 0 " + (size.w + 2 * margin) + " " + (size.h + 2 * margin),
      role: "img",
      "aria-label": "workflow graph",
    });
    const defs = make("defs", {}, svg);
    const marker = make("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse",
    }, defs);
    make("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }, marker);
    const layer = make("g", {}, svg);
    draw(layer, tree, margin, margin, size.w, { selected: selected });
    const pick = (event) => {
      const group = event.target.closest("[data-node-id]");
      if (group) onSelect(group.getAttribute("data-node-id"));
    };
    svg.addEventListener("click", pick);
    svg.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") pick(event);
    });
    const scroll = [container.scrollLeft, container.scrollTop];
    container.replaceChildren(svg);
    container.scrollLeft = scroll[0];
    container.scrollTop = scroll[1];
  }

  window.DurableGraph = { draw: drawGraph };
})();
