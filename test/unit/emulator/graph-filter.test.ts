// Graph's $filter on directory objects as the emulator reads it (emulator/graph-filter.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDirectoryFilter, type FilterableProperty } from "../../../emulator/graph-filter";

const properties: Record<string, FilterableProperty> = {
  proxyAddresses: { collection: true, operators: ["eq", "startswith", "endswith"], advanced: ["endswith"] },
  groupTypes: { collection: true, operators: ["eq"] },
  mailEnabled: { collection: false, operators: ["eq", "ne"] },
  securityEnabled: { collection: false, operators: ["eq", "ne"] },
  displayName: { collection: false, operators: ["eq", "ne", "startswith"] },
};
const group = (values: Record<string, unknown>) => (p: string) =>
  (values[p] ?? (p === "proxyAddresses" || p === "groupTypes" ? [] : null)) as never;
const allStaff = group({
  proxyAddresses: ["SMTP:allstaff@contoso.com", "smtp:allstaff@contoso.onmicrosoft.com"],
  groupTypes: ["Unified"],
  mailEnabled: true,
  securityEnabled: false,
  displayName: "All Staff",
});
const approvers = group({
  proxyAddresses: ["SMTP:finance-approvers@contoso.com"],
  groupTypes: [],
  mailEnabled: true,
  securityEnabled: true,
  displayName: "Finance Approvers",
});

function matches(filter: string, object = allStaff): boolean {
  const parsed = parseDirectoryFilter(filter, "Group", properties);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.predicate(object);
}

describe("Graph $filter on directory objects", () => {
  it("any() with eq, startswith and endswith on proxyAddresses, ignoring case", () => {
    assert.equal(matches("proxyAddresses/any(x:x eq 'smtp:allstaff@contoso.com')"), true);
    assert.equal(matches("proxyAddresses/any(p:p eq 'SMTP:ALLSTAFF@contoso.com')"), true);
    assert.equal(matches("proxyAddresses/any(x:x eq 'smtp:nobody@contoso.com')"), false);
    assert.equal(matches("proxyAddresses/any(x:startswith(x,'smtp:allstaff@'))"), true);
    assert.equal(matches("proxyAddresses/any(x:endswith(x,'@contoso.onmicrosoft.com'))"), true);
  });

  it("and, or, not, parentheses, booleans, and one quote written as two", () => {
    assert.equal(matches("groupTypes/any(c:c eq 'Unified') and mailEnabled eq true"), true);
    assert.equal(matches("groupTypes/any(c:c eq 'Unified') and mailEnabled eq true", approvers), false);
    assert.equal(matches("mailEnabled eq true and securityEnabled eq true", approvers), true);
    assert.equal(matches("not groupTypes/any(c:c eq 'Unified')", approvers), true);
    assert.equal(
      matches(
        "(proxyAddresses/any(x:x eq 'smtp:a@b.c') or proxyAddresses/any(x:x eq 'smtp:allstaff@contoso.com')) and securityEnabled eq false",
      ),
      true,
    );
    assert.equal(matches("displayName eq 'O''Brien'", group({ displayName: "O'Brien" })), true);
    assert.equal(matches("startswith(displayName,'all')"), true);
  });

  it("tells an advanced query (endsWith) apart", () => {
    const plain = parseDirectoryFilter("proxyAddresses/any(x:x eq 'smtp:a@b.c')", "Group", properties);
    const advanced = parseDirectoryFilter("proxyAddresses/any(x:endswith(x,'@b.c'))", "Group", properties);
    assert.equal(plain.ok && plain.advanced, false);
    assert.equal(advanced.ok && advanced.advanced, true);
  });

  it("refuses an unknown property, an operator the property does not take, and all(), as Graph does", () => {
    for (const [filter, property] of [
      ["showInAddressList eq true", "showInAddressList"],
      ["groupTypes/any(c:startswith(c,'Uni'))", "groupTypes"],
      ["proxyAddresses/all(x:x eq 'smtp:a@b.c')", "proxyAddresses"],
      ["proxyAddresses eq 'smtp:a@b.c'", "proxyAddresses"],
      ["mailEnabled/any(x:x eq true)", "mailEnabled"],
    ]) {
      assert.deepEqual(
        parseDirectoryFilter(filter!, "Group", properties),
        {
          ok: false,
          code: "Request_UnsupportedQuery",
          message: `Unsupported or invalid query filter clause specified for property '${property}' of resource 'Group'.`,
        },
        filter,
      );
    }
  });

  it("refuses broken syntax as an invalid filter clause", () => {
    for (const filter of [
      "",
      "proxyAddresses/any(x:x eq 'smtp:a",
      "mailEnabled eq",
      "mailEnabled eq true and",
      "proxyAddresses/any(x:y eq 'a')",
      "mailEnabled eq true)",
    ]) {
      const parsed = parseDirectoryFilter(filter, "Group", properties);
      assert.equal(parsed.ok, false, filter);
      assert.equal(!parsed.ok && parsed.code, "BadRequest", filter);
      assert.match(!parsed.ok ? parsed.message : "", /^Invalid filter clause: /, filter);
    }
  });
});
