// The template language of address policies (core/policy/template.ts): every token, and every
// message an admin can get from a template, with its file:line:col.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateTemplate, parseTemplate, type TemplateAttributes } from "../../../core/policy/template";
import { formatProblem } from "../../../core/problems";
import { loadSpecText } from "../../../core/desired/load-spec";

const john: TemplateAttributes = {
  givenName: "John",
  surname: "O'Smith-Jones",
  initials: "Q",
  alias: "jsmith",
  displayName: "John Q. Smith",
  userPrincipalName: "john.smith@contoso.com",
};

function give(template: string, attributes: TemplateAttributes = john): string {
  const parsed = parseTemplate(template);
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.message);
  const result = evaluateTemplate(parsed.template, attributes);
  assert.ok(result.ok, result.ok ? "" : result.message);
  return result.address;
}

function failure(template: string, attributes: TemplateAttributes = john): string {
  const parsed = parseTemplate(template);
  if (!parsed.ok) return `parse@${parsed.offset}: ${parsed.message}`;
  const result = evaluateTemplate(parsed.template, attributes);
  assert.ok(!result.ok, `expected a failure, got ${result.ok ? result.address : ""}`);
  return `${result.reason}@${result.offset}: ${result.message}`;
}

describe("template tokens", () => {
  it("%g given name, %s surname (characters an address cannot hold dropped, case kept)", () => {
    assert.equal(give("%g.%s@contoso.com"), "John.O'Smith-Jones@contoso.com");
  });
  it("%i initials", () =>
    assert.equal(give("%g%i%s@contoso.com", { ...john, surname: "Smith" }), "JohnQSmith@contoso.com"));
  it("%m alias (mailNickname)", () => assert.equal(give("%m@contoso.com"), "jsmith@contoso.com"));
  it('"@domain" alone is the alias at that domain (Exchange\'s default policy)', () =>
    assert.equal(give("@contoso.com"), "jsmith@contoso.com"));
  it("%d display name: the space dropped, the dot kept", () =>
    assert.equal(give("%d@contoso.com"), "JohnQ.Smith@contoso.com"));
  it("%u the user principal name's local part (an extension)", () =>
    assert.equal(give("%u@newbrand.com"), "john.smith@newbrand.com"));
  it("%<n>g and %<n>s take the first n characters", () => {
    assert.equal(give("%1g%s@contoso.com", { ...john, surname: "Smith" }), "JSmith@contoso.com");
    assert.equal(give("%g%2s@contoso.com", { ...john, surname: "Smith" }), "JohnSm@contoso.com");
    assert.equal(give("%10g@contoso.com"), "John@contoso.com");
  });
  it("%rxy replaces x by y in the variables after it; %rxx removes x", () => {
    assert.equal(give("%r'_%s@contoso.com"), "O_Smith-Jones@contoso.com");
    assert.equal(give("%r''%r--%s@contoso.com"), "OSmithJones@contoso.com");
    assert.equal(give("%r..%d@contoso.com"), "JohnQSmith@contoso.com");
    assert.equal(
      give("%r' %s@contoso.com"),
      "OSmith-Jones@contoso.com",
      "a space is dropped like any character an address cannot hold",
    );
    assert.match(
      failure("%g.%rüu%s@contoso.com", { givenName: "Jürgen", surname: "Müller" }),
      /^non-ascii@0: %g gives "Jürgen"/,
      "a replacement applies only to the variables after it",
    );
  });
  it("%r before a variable fixes a non-ASCII character; truncation comes after the replacements", () => {
    assert.equal(
      give("%rée%rÉE%g.%rüu%s@contoso.com", { givenName: "Émile", surname: "Müller" }),
      "Emile.Muller@contoso.com",
    );
    assert.equal(give("%r''%2s@contoso.com", { surname: "O'Neil" }), "ON@contoso.com");
  });
  it("literal local parts", () => {
    assert.equal(give("info@contoso.com", {}), "info@contoso.com");
    assert.equal(give("sales.%m@contoso.com"), "sales.jsmith@contoso.com");
  });
  it("upper-case variable letters work as in Exchange", () =>
    assert.equal(give("%G.%S@contoso.com", { givenName: "a", surname: "b" }), "a.b@contoso.com"));
  it("the domain is normalised (lower case)", () => assert.equal(give("%m@Contoso.COM"), "jsmith@contoso.com"));
});

describe("template errors", () => {
  it("an unknown token", () => {
    assert.equal(
      failure("%g.%q@contoso.com"),
      'parse@3: unknown token "%q"; supported: %g %s %i %m %d %u %<n>g %<n>s %r<x><y>',
    );
  });
  it("%r without its two characters", () => {
    assert.equal(
      failure("%g%r.@contoso.com"),
      'parse@2: "%r" needs two characters after it: %r<x><y> replaces x by y (%rxx removes x)',
    );
  });
  it("%r with % as the replacement (a missing character)", () => {
    assert.equal(failure("%r'%s@contoso.com"), `parse@0: "%r'%" would replace "'" by "%"; to remove "'" write %r''`);
  });
  it("a count of zero", () =>
    assert.equal(failure("%0g@contoso.com"), 'parse@0: "%0g" takes no characters; the count starts at 1'));
  it("no @domain, two @, a variable in the domain, a bad domain", () => {
    assert.equal(failure("%g.%s"), 'parse@0: the template "%g.%s" has no "@domain"; write e.g. "%g.%s@contoso.com"');
    assert.equal(failure("%g@a@contoso.com"), 'parse@2: the template "%g@a@contoso.com" has more than one "@"');
    assert.equal(
      failure("%g@%m.com"),
      'parse@3: the domain of a template is written out; variables are for the part before "@"',
    );
    assert.equal(failure("%g@contoso"), 'parse@3: "contoso" is not a domain name (like contoso.com)');
  });
  it("a literal character an address cannot hold, and a non-ASCII literal", () => {
    assert.equal(
      failure("%g %s@contoso.com"),
      'parse@2: " " is a character an address cannot hold; write it with letters, digits and . _ - (or %r to replace it in a variable)',
    );
    assert.equal(
      failure("%g.ä@contoso.com"),
      'parse@3: "ä" is a non-ASCII character; write it with letters, digits and . _ - (or %r to replace it in a variable)',
    );
  });
  it("an empty attribute names it", () => {
    assert.equal(
      failure("%g.%s@contoso.com", { surname: "Smith" }),
      "empty@0: %g reads the given name (givenName), which is empty",
    );
    assert.equal(
      failure("%g.%s@contoso.com", { givenName: "J", surname: "  " }),
      "empty@3: %s reads the surname (surname), which is empty",
    );
    assert.equal(failure("%m@contoso.com", {}), "empty@0: %m reads the alias (mailNickname), which is empty");
  });
  it("a non-ASCII character in the local part names the attribute and suggests a replacement", () => {
    assert.equal(
      failure("%g.%s@contoso.com", { givenName: "José", surname: "Núñez" }),
      'non-ascii@0: %g gives "José": the given name (givenName) has the non-ASCII character "é", which Exchange Online does not accept before "@"; add a replacement before the variable, e.g. %rée',
    );
    assert.equal(give("%1s@contoso.com", { surname: "Müller" }), "M@contoso.com", "only the characters taken count");
  });
  it("an attribute with nothing an address can hold", () => {
    assert.equal(
      failure("%d@contoso.com", { displayName: "(   )" }),
      'nothing@0: %d gives nothing: the display name (displayName) "(   )" has no character an address can hold',
    );
  });
  it("a result that is not an address (a dot at the start)", () => {
    assert.equal(
      failure(".%g@contoso.com", { givenName: "a" }),
      'invalid@0: the template gives ".a@contoso.com", not an address: ".a@contoso.com": a dot at the start of the part before "@" at character 1; remove it',
    );
  });
});

describe("template errors in a spec: file:line:col of the token", () => {
  const spec = (policy: string) =>
    `version: 1\nallowedDomains: [contoso.com]\npolicies:\n  - name: staff\n    match: {all: true}\n${policy}mailboxes: {}\n`;
  const problems = (text: string) => {
    const result = loadSpecText("mailboxes.yaml", text, { policies: true });
    return result.ok ? [] : result.problems.map(formatProblem);
  };
  it("an unknown token, at its column (double-quoted)", () => {
    assert.deepEqual(problems(spec('    primary: "%g.%x@contoso.com"\n')), [
      'mailboxes.yaml:6:18: policies[0].primary: policy "staff": unknown token "%x"; supported: %g %s %i %m %d %u %<n>g %<n>s %r<x><y>',
    ]);
  });
  it("an unknown token in a plain alias", () => {
    assert.deepEqual(problems(spec("    aliases:\n      - '%m@contoso.com'\n      - x%z@contoso.com\n")), [
      'mailboxes.yaml:8:10: policies[0].aliases[1]: policy "staff": unknown token "%z"; supported: %g %s %i %m %d %u %<n>g %<n>s %r<x><y>',
    ]);
  });
  it("a domain not in allowedDomains, at the domain", () => {
    assert.deepEqual(problems(spec('    aliases: ["%m@newbrand.com"]\n')), [
      'mailboxes.yaml:6:19: policies[0].aliases[0]: policy "staff": the domain "newbrand.com" of the alias template "%m@newbrand.com" is not in allowedDomains (contoso.com); add the domain there or fix the template',
    ]);
  });
  it("a quoted template with an escape: the template's start (still the right line)", () => {
    assert.deepEqual(problems(spec('    primary: "\\x25g.%x@contoso.com"\n')), [
      'mailboxes.yaml:6:14: policies[0].primary: policy "staff": unknown token "%x"; supported: %g %s %i %m %d %u %<n>g %<n>s %r<x><y>',
    ]);
  });
  it("a template that is not a string", () => {
    assert.deepEqual(problems(spec("    primary: [a]\n")), [
      "mailboxes.yaml:6:14: policies[0].primary: must be a string, not a list",
    ]);
  });
});
