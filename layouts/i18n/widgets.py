"""Words inside the third-party widgets of /ops, which ship in English: AG Grid's locale text
(dashGridOptions.localeText) and dcc.Dropdown's labels. Each entry is (zh, en)."""
from __future__ import annotations

GRID: dict[str, tuple[str, str]] = {
    # overlays and the infinite row model
    "noRowsToShow": ("没有符合条件的案件", "No cases match"),
    "noMatchingRows": ("没有符合条件的案件", "No cases match"),
    "loadingOoo": ("加载中…", "Loading…"),
    "loadingError": ("加载失败", "Failed to load"),
    "ariaSkeletonCellLoading": ("数据加载中", "Row data is loading"),
    "ariaSkeletonCellLoadingFailed": ("数据加载失败", "Row failed to load"),
    "ariaDeferSkeletonCellLoading": ("单元格加载中", "Cell is loading"),
    # selection
    "ariaRowSelect": ("按空格键选择此行", "Press SPACE to select this row"),
    "ariaRowDeselect": ("按空格键取消选择此行", "Press SPACE to deselect this row"),
    "ariaRowToggleSelection": ("按空格键切换选择", "Press Space to toggle row selection"),
    "ariaRowSelectAll": ("按空格键全选或取消全选", "Press Space to toggle all rows selection"),
    "ariaRowSelectionDisabled": ("此行不可选择", "Row Selection is disabled for this row"),
    "ariaChecked": ("已选中", "checked"),
    "ariaUnchecked": ("未选中", "unchecked"),
    "ariaIndeterminate": ("部分选中", "indeterminate"),
    # pagination ("1 to 100 of 500", "Page 1 of 5")
    "page": ("页", "Page"),
    "of": ("/", "of"),
    "to": ("–", "to"),
    "more": ("更多", "more"),
    "firstPage": ("首页", "First Page"),
    "lastPage": ("末页", "Last Page"),
    "nextPage": ("下一页", "Next Page"),
    "previousPage": ("上一页", "Previous Page"),
    "pageLastRowUnknown": ("?", "?"),
    "pageSizeSelectorLabel": ("每页行数:", "Page Size:"),
    "ariaPageSizeSelectorLabel": ("每页行数", "Page Size"),
    # sorting and the column menu
    "ariaSortableColumn": ("按回车键排序", "Press ENTER to sort"),
    "ariaSortableColumnWithCellSelection": ("按 Alt+回车键排序", "Press ALT ENTER to sort"),
    "ariaColumn": ("列", "Column"),
    "ariaLabelColumnMenu": ("列菜单", "Column Menu"),
    "ariaMenuColumn": ("按 Alt+下箭头打开列菜单", "Press ALT DOWN to open column menu"),
    "ariaLabelTooltip": ("提示", "Tooltip"),
    "sortAscending": ("升序", "Sort Ascending"),
    "sortDescending": ("降序", "Sort Descending"),
    "sortUnSort": ("取消排序", "Clear Sort"),
    "pinColumn": ("固定列", "Pin Column"),
    "pinLeft": ("固定在左侧", "Pin Left"),
    "pinRight": ("固定在右侧", "Pin Right"),
    "noPin": ("不固定", "No Pin"),
    "autosizeThisColumn": ("自动调整此列宽度", "Autosize This Column"),
    "autosizeAllColumns": ("自动调整所有列宽度", "Autosize All Columns"),
    "resetColumns": ("重置列", "Reset Columns"),
    "columns": ("列", "Columns"),
    # filters
    "filterOoo": ("筛选…", "Filter..."),
    "searchOoo": ("搜索…", "Search..."),
    "applyFilter": ("应用", "Apply"),
    "clearFilter": ("清除", "Clear"),
    "resetFilter": ("重置", "Reset"),
    "cancelFilter": ("取消", "Cancel"),
    "empty": ("请选择", "Choose one"),
    "equals": ("等于", "Equals"),
    "notEqual": ("不等于", "Does not equal"),
    "contains": ("包含", "Contains"),
    "notContains": ("不包含", "Does not contain"),
    "startsWith": ("开头是", "Begins with"),
    "endsWith": ("结尾是", "Ends with"),
    "blank": ("为空", "Blank"),
    "notBlank": ("不为空", "Not blank"),
    "lessThan": ("小于", "Less than"),
    "greaterThan": ("大于", "Greater than"),
    "lessThanOrEqual": ("小于等于", "Less than or equal to"),
    "greaterThanOrEqual": ("大于等于", "Greater than or equal to"),
    "inRange": ("介于", "Between"),
    "inRangeStart": ("从", "From"),
    "inRangeEnd": ("到", "To"),
    "before": ("早于", "Before"),
    "after": ("晚于", "After"),
    "andCondition": ("且", "AND"),
    "orCondition": ("或", "OR"),
    "selectAll": ("(全选)", "(Select All)"),
    "blanks": ("(空白)", "(Blanks)"),
    "noMatches": ("无匹配项", "No matches"),
    "dateFormatOoo": ("yyyy-mm-dd", "yyyy-mm-dd"),
    "ariaFilterMenuOpen": ("打开筛选菜单", "Open Filter Menu"),
    "ariaLabelColumnFilter": ("列筛选", "Column Filter"),
    "ariaColumnFiltered": ("已筛选的列", "Column Filtered"),
    "ariaFilterInput": ("筛选输入", "Filter Input"),
    "ariaFilterValue": ("筛选值", "Filter Value"),
    "ariaFilterFromValue": ("筛选起始值", "Filter from value"),
    "ariaFilterToValue": ("筛选结束值", "Filter to Value"),
    "ariaFilteringOperator": ("筛选运算符", "Filtering operator"),
    "ariaFilterColumn": ("按 Ctrl+回车键打开筛选", "Press CTRL ENTER to open filter"),
}

DROPDOWN: dict[str, tuple[str, str]] = {
    "select_all": ("全选", "Select All"),
    "deselect_all": ("取消全选", "Deselect All"),
    "selected_count": ("已选 {num_selected} 项", "{num_selected} selected"),
    "search": ("搜索", "Search"),
    "clear_search": ("清除搜索", "Clear search"),
    "clear_selection": ("清除选择", "Clear selection"),
    "no_options_found": ("无匹配选项", "No options found"),
}


def _pick(table: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {key: texts[index] for key, texts in table.items()}


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's localeText in the page's language."""
    return _pick(GRID, lang)


def dropdown_labels(lang: str) -> dict[str, str]:
    """dcc.Dropdown's `labels` in the page's language."""
    return _pick(DROPDOWN, lang)
