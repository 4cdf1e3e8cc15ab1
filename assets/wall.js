/* The wall's browser side: window.dash_clientside.govwall (registered in callbacks/wall/clientside.py). */
(function () {
  "use strict";
  var NO = function () { return window.dash_clientside.no_update; };
  var ROLL_MS = 900;
  var FOCUS_MS = 8000;
  var STALE_AFTER_MS = 30000;
  // A tile without data yet asks this often; one whose answer never came asks again after
  // IN_FLIGHT_MS (a lost request), never sooner: a tile that asks while its last request is
  // in flight never gets an answer applied under load.
  var FIRST_ASK_MS = 500;
  var IN_FLIGHT_MS = 30000;
  var lastRedIds = null;
  var lastWarningIds = null;
  var signals = 0;
  // The server's clock minus this screen's: the wall's clock, countdowns and freshness follow
  // the center's server, not a display PC whose clock may be wrong. Learnt from each answer.
  var skewMs = 0;
  var lastAnswerMs = 0;
  var seenSeq = {};
  var loadedMs = Date.now();

  function serverNow() { return Date.now() + skewMs; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Drill-down from a plotly figure: the clicked point, and /ops on [name, value] pairs in
  // the order CaseFilter.to_query() writes them (data_access/case_filters.py), so that the
  // URL is the same as the server's; tests/browser/test_wall_browser.py holds them equal.
  function clickedPoint(click) { return click && click.points && click.points[0]; }
  function openCases(pairs) {
    window.location.href = "/ops?" + pairs.filter(function (p) { return p[1]; })
      .map(function (p) { return p[0] + "=" + encodeURIComponent(p[1]); }).join("&");
  }

  function fit() {
    var canvas = document.getElementById("wall-canvas");
    if (!canvas) { return; }
    var w = canvas.offsetWidth, h = canvas.offsetHeight;
    var s = Math.min(window.innerWidth / w, window.innerHeight / h);
    var x = (window.innerWidth - w * s) / 2, y = (window.innerHeight - h * s) / 2;
    canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + s + ")";
  }

  function formatKpi(item, value) {
    if (value === null || value === undefined) { return "—"; }
    if (item.rate) { return (value * 100).toFixed(1) + "%"; }
    return Math.round(value).toLocaleString("en-US");
  }

  function roll(el, item) {
    var to = item.value;
    var from = parseFloat(el.getAttribute("data-value"));
    el.setAttribute("data-value", to === null ? "" : String(to));
    if (to === null || isNaN(from) || from === to) { el.textContent = item.text; return; }
    var start = performance.now();
    function step(t) {
      var k = Math.min(1, (t - start) / ROLL_MS);
      var eased = 1 - Math.pow(1 - k, 3);
      el.textContent = k < 1 ? formatKpi(item, from + (to - from) * eased) : item.text;
      if (k < 1) { window.requestAnimationFrame(step); }
    }
    window.requestAnimationFrame(step);
  }

  function countdowns(lang) {
    var now = serverNow();
    var nodes = document.querySelectorAll("[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var left = Number(nodes[i].getAttribute("data-due")) - now;
      var over = left < 0;
      var m = Math.floor(Math.abs(left) / 60000), d = Math.floor(m / 1440);
      var h = Math.floor((m % 1440) / 60), mm = m % 60;
      var text = d > 0 ? (lang === "zh" ? d + "天" + h + "时" : d + "d " + h + "h")
        : (lang === "zh" ? h + "时" + pad(mm) + "分" : h + "h " + pad(mm) + "m");
      // Every number with its label: time left (剩) or overdue by (超), as the alert rows say.
      nodes[i].textContent = lang === "zh" ? (over ? "超 " : "剩 ") + text
        : text + (over ? " over" : " left");
      nodes[i].className = "q-left countdown " + (over ? "over" : left < 4 * 3600000 ? "soon" : "");
    }
  }

  // Shared namespace with other pages' scripts (assets/ops.js): add to it, never replace it.
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.govwall = Object.assign(window.dash_clientside.govwall || {}, {
      fitCanvas: function () {
        if (!window.__govwallFit) {
          window.__govwallFit = true;
          window.addEventListener("resize", fit);
        }
        window.requestAnimationFrame(fit);
        return NO();
      },
      tick: function (_n, config, zone) {
        var zh = config.lang === "zh";
        // The center's local time, whatever the display machine's own zone.
        var parts = {};
        new Intl.DateTimeFormat("en-US", { timeZone: zone || "Asia/Shanghai", hourCycle: "h23",
          year: "numeric", month: "numeric", day: "numeric", weekday: "short",
          hour: "2-digit", minute: "2-digit", second: "2-digit" })
          .formatToParts(new Date(serverNow())).forEach(function (p) { parts[p.type] = p.value; });
        var clock = parts.hour + ":" + parts.minute + ":" + parts.second;
        var days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        var wd = zh ? "日一二三四五六".charAt(days.indexOf(parts.weekday)) : parts.weekday;
        var date = zh ? parts.year + "年" + parts.month + "月" + parts.day + "日 星期" + wd
          : parts.year + "-" + pad(+parts.month) + "-" + pad(+parts.day) + " " + wd;
        var states = Array.prototype.slice.call(arguments, 3);
        var stale = states.some(function (s) { return s && s.ok === false; });
        // Disconnected: no answer from the server for a while (old data is "stale" instead).
        var offline = lastAnswerMs > 0 && Date.now() - lastAnswerMs > STALE_AFTER_MS;
        countdowns(config.lang);
        var state = offline ? "offline" : stale ? "stale" : "ok";
        var text = { ok: zh ? "数据正常" : "Live", stale: zh ? "部分数据过期" : "Some data stale",
                     offline: zh ? "连接中断" : "Disconnected" }[state];
        return [clock, date, text, "freshness " + state];
      },
      gate: function (_n, config) {
        var panels = config.panels || [];
        var k = panels.length;
        var requests = Array.prototype.slice.call(arguments, 2, 2 + k);
        var states = Array.prototype.slice.call(arguments, 2 + k, 2 + 2 * k);
        var now = Date.now();
        return panels.map(function (panel, i) {
          // The page's own first request (seq 0) went out with the layout.
          var asked = requests[i] || { seq: 0, at: 0 };
          var askedAt = asked.at || loadedMs;
          var state = states[i] || {};
          var answered = (state.seq === undefined ? -1 : state.seq) >= asked.seq;
          if (state.now && seenSeq[panel] !== state.seq) {
            seenSeq[panel] = state.seq;
            skewMs = state.now * 1000 - now;
            lastAnswerMs = now;
          }
          if (!answered && now - askedAt < IN_FLIGHT_MS) { return NO(); }
          var every = state.asof ? (config.refresh[panel] || 5) * 1000 : FIRST_ASK_MS;
          if (answered && now - askedAt < every) { return NO(); }
          return { seq: asked.seq + 1, at: now };
        });
      },
      rollKpis: function (items) {
        (items || []).forEach(function (item) {
          var value = document.getElementById("wall-kpi-value-" + item.key);
          var delta = document.getElementById("wall-kpi-delta-" + item.key);
          var link = document.getElementById("wall-kpi-link-" + item.key);
          if (value) { roll(value, item); value.className = "kpi-value " + item.tone; }
          if (delta) {
            delta.textContent = item.delta_text;
            delta.className = "kpi-delta" + (item.delta > 0 ? " up" : item.delta < 0 ? " down" : "");
          }
          if (link) { link.setAttribute("href", item.href); }
          var spark = document.getElementById("wall-kpi-spark-" + item.key);
          if (spark && item.spark) {
            // Numbers only (layouts/wall/kpis.py spark_points): no text of a case.
            spark.innerHTML = '<svg viewBox="0 0 240 40" preserveAspectRatio="none">' +
              '<polyline class="yesterday" points="' + item.spark.yesterday + '"/>' +
              '<polyline class="today" points="' + item.spark.today + '"/></svg>';
          }
        });
        return NO();
      },
      pageQueue: function (n) {
        var body = document.getElementById("wall-queue-body");
        var pages = body ? body.querySelectorAll(".queue-page").length : 0;
        return "tile-body show-" + (pages ? (n || 0) % pages : 0);
      },
      rotate: function (n, config) {
        var units = config.units || [null];
        return units[(n || 0) % units.length];
      },
      rotateMeasure: function (n, config) {
        var measures = config.measures || [config.measure];
        return measures[(n || 0) % measures.length];
      },
      signalAlerts: function (ids) {
        ids = ids || [];
        var fresh = lastRedIds !== null && ids.some(function (id) { return lastRedIds.indexOf(id) < 0; });
        lastRedIds = ids;
        if (!fresh) { return NO(); }
        var canvas = document.getElementById("wall-canvas");
        if (canvas) {
          canvas.classList.add("alert-focus");
          window.setTimeout(function () { canvas.classList.remove("alert-focus"); }, FOCUS_MS);
        }
        signals += 1;
        return "alert-signal on " + (signals % 2 ? "odd" : "even");
      },
      signalWarnings: function (ids) {
        // A warning no officer has seen yet takes the focus for a few seconds.
        ids = ids || [];
        var fresh = lastWarningIds !== null &&
          ids.some(function (id) { return lastWarningIds.indexOf(id) < 0; });
        lastWarningIds = ids;
        if (!fresh) { return NO(); }
        var canvas = document.getElementById("wall-canvas");
        if (canvas) {
          canvas.classList.add("warning-focus");
          window.setTimeout(function () { canvas.classList.remove("warning-focus"); }, FOCUS_MS);
        }
        return String(Date.now());
      },
      followClick: function (click, measure) {
        // The cases behind the colour: an overdue map opens the area's overdue cases, an
        // open one its open cases; patrol coverage and workers online count no cases.
        var point = clickedPoint(click);
        if (point && point.location && (measure === "open" || measure === "overdue")) {
          openCases(measure === "overdue"
            ? [["unit", point.location], ["deadline", "overdue,long_overdue"], ["sort", "overdue"]]
            : [["unit", point.location], ["open", "1"]]);
        }
        return NO();
      },
      followDispute: function (click, unit) {
        // A segment of the dispute trend: the disputes of its type(s) reported that day, in
        // the view (customdata: [types, day], layouts/wall/figures.py dispute_trend).
        var point = clickedPoint(click);
        if (point && point.customdata) {
          var day = point.customdata[1];
          openCases([["unit", unit], ["dispute", point.customdata[0]], ["from", day], ["to", day]]);
        }
        return NO();
      }
  });
}());
