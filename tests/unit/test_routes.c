/* Which request is which: SPEC §1's paths, the /bards alias, methods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/routes.h"

static route match(const char *method, const char *target) {
    char raw[512];
    http_request req;
    snprintf(raw, sizeof(raw), "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method, target);
    assert_true(httpParseRequest(raw, strlen(raw), &req) > 0);
    route r = routeMatch(&req);
    /* slices point into raw: copy the id out before it goes */
    static char id[256];
    snprintf(id, sizeof(id), "%.*s", (int)r.id.len, r.id.ptr ? r.id.ptr : "");
    r.id = sliceMake(id, strlen(id));
    return r;
}

static void test_resources_and_alias(void **state) {
    (void)state;
    route r = match("POST", "/pessoas");
    assert_int_equal(r.kind, ROUTE_CREATE);
    assert_int_equal(r.resource, API_RES_PESSOAS);
    r = match("POST", "/bards");
    assert_int_equal(r.kind, ROUTE_CREATE);
    assert_int_equal(r.resource, API_RES_BARDS);
    r = match("GET", "/pessoas?t=abc");
    assert_int_equal(r.kind, ROUTE_SEARCH);
    r = match("GET", "/bards?t=abc");
    assert_int_equal(r.kind, ROUTE_SEARCH);
    assert_int_equal(r.resource, API_RES_BARDS);
    assert_int_equal(match("GET", "/contagem-pessoas").kind, ROUTE_COUNT);
    assert_int_equal(match("GET", "/contagem-bards").kind, ROUTE_COUNT);
    assert_int_equal(match("GET", "/health").kind, ROUTE_HEALTH);
}

static void test_get_by_id(void **state) {
    (void)state;
    route r = match("GET", "/pessoas/abc-123");
    assert_int_equal(r.kind, ROUTE_GET);
    assert_true(sliceEqStr(r.id, "abc-123"));
    r = match("GET", "/bards/abc?x=1");
    assert_int_equal(r.kind, ROUTE_GET);
    assert_true(sliceEqStr(r.id, "abc"));
    assert_int_equal(match("GET", "/pessoas/").kind, ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/pessoas/a/b").kind, ROUTE_NOT_FOUND);
}

static void test_unknown_paths_and_methods(void **state) {
    (void)state;
    assert_int_equal(match("GET", "/pessoasx").kind, ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/contagem-pessoas/1").kind, ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/PESSOAS").kind, ROUTE_NOT_FOUND);
    route r = match("DELETE", "/pessoas");
    assert_string_equal(r.allow, "GET, POST");
    r = match("PUT", "/pessoas/abc");
    assert_string_equal(r.allow, "GET");
    r = match("POST", "/contagem-pessoas");
    assert_string_equal(r.allow, "GET");
    assert_null(match("GET", "/pessoas").allow);
    assert_null(match("DELETE", "/nothing").allow);
}

/* / and /dashboard: the page; GET and HEAD only. */
static void test_dashboard(void **state) {
    (void)state;
    route r = match("GET", "/");
    assert_int_equal(r.kind, ROUTE_DASHBOARD);
    assert_null(r.allow);
    assert_false(r.head);
    assert_int_equal(match("GET", "/dashboard?x=1").kind, ROUTE_DASHBOARD);
    r = match("HEAD", "/dashboard");
    assert_int_equal(r.kind, ROUTE_DASHBOARD);
    assert_true(r.head);
    assert_null(r.allow);
    assert_string_equal(match("POST", "/").allow, "GET, HEAD");
    assert_string_equal(match("DELETE", "/dashboard").allow, "GET, HEAD");
    assert_int_equal(match("GET", "/dashboard/").kind, ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "//").kind, ROUTE_NOT_FOUND);
    assert_string_equal(ROUTE_NAMES[ROUTE_DASHBOARD], "dashboard");
    assert_true(match("HEAD", "/status").allow != NULL); /* only the page has HEAD */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resources_and_alias),
        cmocka_unit_test(test_get_by_id),
        cmocka_unit_test(test_unknown_paths_and_methods),
        cmocka_unit_test(test_dashboard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
