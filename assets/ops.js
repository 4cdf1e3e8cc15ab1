// /ops: the URL is the state. The filter bar's query replaces the address (no page reload,
// no Dash navigation), the export links follow it, and the case table refetches its rows
// whenever the filter differs from the one its cached rows were fetched under -- including
// the first filter, since the first block may have been asked for before it existed.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.govwall = Object.assign(window.dash_clientside.govwall || {}, {
    opsSync: function (filter, caseId, version) {
        const query = new URLSearchParams(filter || {});
        const exportQuery = query.toString();
        if (caseId) { query.set("case", caseId); }
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
    }
});

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
