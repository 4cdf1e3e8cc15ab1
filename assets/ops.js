// /ops: the URL is the state. The filter bar's query replaces the address (no page reload,
// no Dash navigation), the export links follow it, and the case table refetches its rows
// whenever the filter differs from the one its cached rows were fetched under -- including
// the first filter, since the first block may have been asked for before it existed.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.govwall = Object.assign(window.dash_clientside.govwall || {}, {
    opsSync: function (filter, caseId, version, view) {
        const query = new URLSearchParams(filter || {});
        const exportQuery = query.toString();
        if (caseId) { query.set("case", caseId); }
        // The view goes into the address only where it is not the one the address opens on
        // anyway (layouts/ops_page.py first_view: the duty queue, unless cases are named).
        const opensOn = Array.from(query.keys()).some(k => k !== "lang") ? "list" : "duty";
        if (view && view !== opensOn) { query.set("view", view); }
        const search = query.toString();
        window.history.replaceState(window.history.state, "", "/ops" + (search ? "?" + search : ""));
        const key = exportQuery + "|" + version;
        if (window._govwallOpsKey !== key) {
            let api = null;
            try {
                api = window.dash_ag_grid && window.dash_ag_grid.getApi("ops-cases");
            } catch (e) {
                api = null;  // the grid is not ready: its first request will see this filter
            }
            if (api) { api.purgeInfiniteCache(); }
        }
        window._govwallOpsKey = key;
        const suffix = exportQuery ? "?" + exportQuery : "";
        return ["/ops/export.csv" + suffix, "/ops/export.xlsx" + suffix];
    },
    opsDetailOpen: function (caseId) {
        return caseId ? "ops-main has-case" : "ops-main";
    },
    opsView: function () {
        const triggered = (window.dash_clientside.callback_context.triggered || [])[0];
        const id = triggered ? triggered.prop_id.split(".")[0] : "";
        return id === "ops-view-list" ? "list" : id === "ops-view-duty" ? "duty"
            : window.dash_clientside.no_update;
    },
    opsViewClass: function (view) {
        if (view === "list") {
            // The grid sized itself while hidden: let it measure its place again.
            window.setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 0);
        }
        return "ops-page view-" + (view === "list" ? "list" : "duty");
    },
    opsDutyGate: function (_n, request, state) {
        duty.highlight();
        const asked = request || {seq: 0, at: 0};
        const askedAt = asked.at || duty.loadedMs;
        const answered = !!state && state.seq >= asked.seq;
        const now = Date.now();
        // Ask again only once the last answer is in (Dash applies only the answer to the
        // latest request: a page that asks while one is in flight may never update), and a
        // lost request only after IN_FLIGHT_MS.
        if (!answered && now - askedAt < duty.IN_FLIGHT_MS) { return window.dash_clientside.no_update; }
        if (answered && now - askedAt < duty.EVERY_MS) { return window.dash_clientside.no_update; }
        return {seq: asked.seq + 1, at: now};
    },
    opsDutyAnnounce: function (state) {
        if (!state || !state.keys) { return window.dash_clientside.no_update; }
        const fresh = duty.learn(state.keys);
        if (fresh.length) {
            const until = Date.now() + duty.HIGHLIGHT_MS;
            fresh.forEach(function (key) { duty.freshUntil[key.split(":")[0]] = until; });
            duty.announced = duty.announced.concat(fresh);
            if (duty.soundOn()) { duty.beep(); }
        }
        // The rows of this answer reach the page with it; mark them once they are drawn.
        window.setTimeout(duty.highlight, 0);
        window.requestAnimationFrame(duty.highlight);
        return fresh.join(" ");
    },
    opsDutySound: function (clicks) {
        if (clicks && clicks !== duty.soundClicks) {
            duty.soundClicks = clicks;
            const on = !duty.soundOn();
            try { window.localStorage.setItem(duty.SOUND_KEY, on ? "on" : "off"); } catch (e) { /* private mode */ }
            if (on) { duty.beep(); }  // says it is on, and the click lets the page play sound
        }
        const on = duty.soundOn();
        return ["btn btn-sm " + (on ? "btn-warning sound-on" : "btn-outline-secondary sound-off"),
                on ? "true" : "false"];
    }
});

// The duty queue's announcements: a row is highlighted for HIGHLIGHT_MS when one of its keys
// (the case, or the case as overdue: layouts/ops_duty.py row_keys) was not in any earlier
// answer of this page; the first answer announces nothing. With the sound on (off by
// default; kept in localStorage), two short tones made with the Web Audio API: no audio
// file is downloaded.
var duty = window.govwallDuty = {
    EVERY_MS: 5000,
    IN_FLIGHT_MS: 30000,
    HIGHLIGHT_MS: 60000,
    SOUND_KEY: "govwall.ops.dutySound",
    loadedMs: Date.now(),
    seen: null,
    freshUntil: {},
    announced: [],
    beeps: 0,
    soundClicks: 0,
    audio: null,
    learn: function (keys) {
        if (duty.seen === null) {
            duty.seen = new Set(keys);
            return [];
        }
        const fresh = keys.filter(function (k) { return !duty.seen.has(k); });
        fresh.forEach(function (k) { duty.seen.add(k); });
        return fresh;
    },
    highlight: function () {
        const now = Date.now();
        document.querySelectorAll(".duty-row").forEach(function (row) {
            row.classList.toggle("duty-new", (duty.freshUntil[row.dataset.case] || 0) > now);
        });
    },
    soundOn: function () {
        try { return window.localStorage.getItem(duty.SOUND_KEY) === "on"; } catch (e) { return false; }
    },
    beep: function () {
        const Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) { return; }
        duty.audio = duty.audio || new Context();
        const ctx = duty.audio;
        if (ctx.state === "suspended") { ctx.resume(); }
        [[880, 0], [660, 0.22]].forEach(function (tone) {
            const start = ctx.currentTime + tone[1];
            const osc = ctx.createOscillator();
            const gain = ctx.createGain();
            osc.type = "sine";
            osc.frequency.value = tone[0];
            gain.gain.setValueAtTime(0.0001, start);
            gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
            gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
            osc.connect(gain).connect(ctx.destination);
            osc.start(start);
            osc.stop(start + 0.21);
        });
        duty.beeps += 1;
    }
};

// The date picker (dcc.DatePickerRange) formats with date-fns and picks a locale from
// window.dateFns by the *browser's* languages, falling back to the first one there. /ops
// speaks its page's language instead: zh-CN (vendored in date-fns-zh-CN.min.js, which runs
// before this file: assets load in name order) unless the page is English, where no locale
// leaves date-fns on its built-in English.
(function () {
    const zhCN = window.dateFns && window.dateFns.locale && window.dateFns.locale.zhCN;
    window.dateFns = window.dateFns || {};
    Object.defineProperty(window.dateFns, "locale", {
        configurable: true,
        get: function () {
            const page = document.querySelector(".ops-page");
            return page && page.lang === "en" ? {} : {zhCN: zhCN};
        }
    });
})();
