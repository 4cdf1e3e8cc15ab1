// /ops: the URL is the state. The filter bar's query replaces the address (no page reload,
// no Dash navigation), the export links follow it, and the case table refetches its rows.
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.govwall = Object.assign(window.dash_clientside.govwall || {}, {
    opsSync: function (filter, caseId, version) {
        const query = new URLSearchParams(filter || {});
        const exportQuery = query.toString();
        if (caseId) { query.set("case", caseId); }
        const search = query.toString();
        window.history.replaceState(window.history.state, "", "/ops" + (search ? "?" + search : ""));
        const key = exportQuery + "|" + version;
        if (window._govwallOpsKey !== undefined && window._govwallOpsKey !== key) {
            const api = window.dash_ag_grid && window.dash_ag_grid.getApi("ops-grid");
            if (api) { api.purgeInfiniteCache(); }
        }
        window._govwallOpsKey = key;
        const suffix = exportQuery ? "?" + exportQuery : "";
        return ["/ops/export.csv" + suffix, "/ops/export.xlsx" + suffix];
    }
});
