package server

// Staff: the department inbox, tasks (claim, unclaim, complete), cases and their timelines.
var uiStaffPages = []uiPage{}
