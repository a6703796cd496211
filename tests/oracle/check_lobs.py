#!/usr/bin/env python3
"""Static check of an Oracle script of `marina-etl sql --dialect oracle`.

Oracle refuses a LOB (CLOB, NCLOB, BLOB) wherever values are compared or sorted:
`=`/`<>`/`<`/`IN`/`BETWEEN`/`DECODE`, join conditions, `GROUP BY`, `DISTINCT`, `ORDER BY`,
`PARTITION BY`, `MIN`/`MAX`, `UNION`/`INTERSECT`/`MINUS` (not `UNION ALL`), keys and indexes
(ORA-00932 "inconsistent datatypes: expected - got NCLOB", ORA-02329, ORA-22818 ...).
This script reads the script as Oracle would run it and reports every such use:

- the script is split as SQL*Plus/SQLcl reads it: SQL*Plus commands (`SET ...`),
  statements ending with `;`, PL/SQL blocks ending with a `/` line;
- every statement outside the PL/SQL blocks must parse with sqlglot's Oracle dialect, and so
  must the dynamic DDL of `EXECUTE IMMEDIATE '...'` blocks and the SQL statements inside the
  procedures (SELECT ... INTO, INSERT, UPDATE, MERGE, DELETE, OPEN ... FOR): a statement that
  does not parse cannot be checked, so it is a finding too;
- each column's type comes from the script's own DDL (CREATE TABLE, also inside
  EXECUTE IMMEDIATE), and each view's columns from its SELECT, through CTEs, derived tables,
  `t.*`, CAST, CASE/COALESCE/NVL and the string functions that return a LOB for a LOB;
- a name the script does not define (a PL/SQL variable, `dual`) counts as no LOB.

sqlglot reads more than Oracle accepts, so the spellings that Oracle 19c refuses or reads
otherwise are findings too: `LIMIT`, `TRUE`/`FALSE`, a `BOOLEAN` or `BIGINT` type, a `VARCHAR2`
without a length, `IF [NOT] EXISTS`, `IS [NOT] DISTINCT FROM`, `ILIKE`, a condition used as a
value (`SELECT a = b`), and a comparison with `''` (the empty string is NULL in Oracle, so the
comparison is never true).

Usage: check_lobs.py [--lobs-only] [FILE|-]   (default: standard input)
`--lobs-only` leaves out the Oracle spelling rules (for SQL written for another dialect whose
types are to be checked against Oracle's DDL).
Prints one line per finding (`line N: ...`) and a summary; exit 0 when there is none,
1 when there are findings, 2 when sqlglot is missing or the file cannot be read.
"""

import re
import sys

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel
except ImportError:  # pragma: no cover - reported to the caller
    print("check_lobs.py: the Python package sqlglot is missing (pip install sqlglot)", file=sys.stderr)
    sys.exit(2)

LOB_TYPE = re.compile(r"^\s*(N?CLOB|BLOB|BFILE)\b", re.IGNORECASE)
PLSQL_HEAD = re.compile(
    r"^\s*(BEGIN|DECLARE|CREATE\s+OR\s+REPLACE\s+(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE))\b", re.IGNORECASE
)
SQLPLUS_COMMAND = re.compile(r"^\s*(SET|PROMPT|SPOOL|WHENEVER|REM|REMARK|COLUMN|TTITLE|BTITLE|SHOW)\b", re.IGNORECASE)
EXECUTE_IMMEDIATE = re.compile(r"EXECUTE\s+IMMEDIATE\s+'((?:[^']|'')*)'", re.IGNORECASE)
EMBEDDED_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|MERGE|WITH)\b", re.IGNORECASE)
OPEN_FOR = re.compile(r"^\s*OPEN\s+\w+\s+FOR\s+", re.IGNORECASE)


# --------------------------------------------------------------------------- splitting


def strip_comments(text):
    """The text without `--` comments (outside string literals), keeping line breaks."""
    out, i, quoted = [], 0, False
    while i < len(text):
        ch = text[i]
        if quoted:
            out.append(ch)
            if ch == "'":
                quoted = False
        elif ch == "'":
            quoted = True
            out.append(ch)
        elif text.startswith("--", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def split_script(text):
    """(first line number, kind, text) per unit: kind is 'sqlplus', 'sql' or 'plsql'."""
    lines = text.split("\n")
    units, i = [], 0
    while i < len(lines):
        line = lines[i]
        code = strip_comments(line).strip()
        if not code:
            i += 1
            continue
        start = i + 1
        if SQLPLUS_COMMAND.match(code) and not code.upper().startswith("SELECT"):
            units.append((start, "sqlplus", line))
            i += 1
        elif PLSQL_HEAD.match(code):
            body = []
            while i < len(lines) and lines[i].strip() != "/":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                units.append((start, "error", "PL/SQL block without its closing '/' line"))
            i += 1
            units.append((start, "plsql", "\n".join(body)))
        else:
            # A SQL statement: up to the `;` outside string literals and comments.
            stmt, quoted, done = [], False, False
            while i < len(lines) and not done:
                chars = lines[i]
                j = 0
                while j < len(chars):
                    ch = chars[j]
                    if quoted:
                        quoted = ch != "'"
                    elif ch == "'":
                        quoted = True
                    elif chars.startswith("--", j):
                        break
                    elif ch == ";":
                        stmt.append(chars[:j])
                        done = True
                        break
                    j += 1
                if not done:
                    stmt.append(chars)
                i += 1
            if not done:
                units.append((start, "error", "statement without its terminating ';'"))
            units.append((start, "sql", "\n".join(stmt)))
    return units


def plsql_statements(block):
    """The SQL statements a PL/SQL block runs: (line offset, text, dynamic?) per statement.

    `EXECUTE IMMEDIATE '<literal>'` gives the literal's statement; in a procedure or anonymous
    block body, each `;`-terminated statement that starts with SELECT/INSERT/UPDATE/DELETE/
    MERGE/WITH (or OPEN cursor FOR ...) is taken as SQL.
    """
    out = []
    for m in EXECUTE_IMMEDIATE.finditer(block):
        out.append((block[: m.start()].count("\n"), m.group(1).replace("''", "'"), True))
    if out:
        return out
    code = strip_comments(block)
    # The body: after the declarations, from the first BEGIN at the start of a line.
    body_at = re.search(r"^\s*BEGIN\b", code, re.IGNORECASE | re.MULTILINE)
    if body_at is None:
        return out
    pos, quoted, start = body_at.end(), False, body_at.end()
    while pos < len(code):
        ch = code[pos]
        if quoted:
            quoted = ch != "'"
        elif ch == "'":
            quoted = True
        elif ch == ";":
            piece = code[start:pos]
            lead = len(piece) - len(piece.lstrip())
            text = piece.strip()
            text = OPEN_FOR.sub("", text)
            # Statements that follow a keyword on the same piece (`BEGIN`, `THEN`, `ELSE`).
            text = re.sub(r"^(BEGIN|THEN|ELSE|LOOP)\s+", "", text, flags=re.IGNORECASE)
            if EMBEDDED_SQL.match(text):
                out.append((code[: start + lead].count("\n"), text, False))
            start = pos + 1
        pos += 1
    return out


# --------------------------------------------------------------------------- names and types


def ident(node):
    """An identifier as Oracle resolves it: quoted names as written, others upper case."""
    if node is None:
        return None
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.upper()
    if isinstance(node, str):
        return node.upper()
    return ident(node.this) if hasattr(node, "this") else None


def is_lob_type(data_type):
    return data_type is not None and LOB_TYPE.match(data_type.sql(dialect="oracle")) is not None


class Relation:
    """Columns of a table, view, CTE or derived table: name -> LOB?, in order."""

    def __init__(self, columns):
        self.columns = columns  # list of (name, is_lob)

    def get(self, name):
        for n, lob in self.columns:
            if n == name:
                return lob
        return None


class Env:
    """The relations a query can name (alias -> Relation), inside its enclosing queries'."""

    def __init__(self, sources, parent=None):
        self.sources = sources  # list of (alias, Relation), in FROM order
        self.parent = parent

    def column(self, table, name):
        env = self
        while env is not None:
            if table is not None:
                for alias, rel in env.sources:
                    if alias == table:
                        return rel.get(name)
            else:
                for _, rel in env.sources:
                    lob = rel.get(name)
                    if lob is not None:
                        return lob
            env = env.parent
        return None

    def relation(self, table):
        for alias, rel in self.sources:
            if alias == table:
                return rel
        return None


# Functions whose result is a LOB when an argument is (Oracle's SQL semantics for LOBs).
LOB_PASSING = (
    exp.Coalesce,
    exp.Case,
    exp.If,
    exp.Trim,
    exp.Upper,
    exp.Lower,
    exp.Substring,
    exp.DPipe,
    exp.Concat,
    exp.Pad,
    exp.RegexpReplace,
    exp.RegexpExtract,
    exp.Paren,
    exp.Alias,
    exp.Min,
    exp.Max,
    exp.Initcap,
)
for _name in ("Replace", "RegexpSubstr", "Nvl2", "Greatest", "Least", "Ltrim", "Rtrim", "Translate"):
    if hasattr(exp, _name):
        LOB_PASSING = LOB_PASSING + (getattr(exp, _name),)


class Checker:
    def __init__(self, spelling=True):
        self.spelling = spelling  # also the Oracle 19c spelling rules
        self.schema = {}  # table or view name -> Relation
        self.findings = []
        self.statements = 0

    # ---- reporting

    def finding(self, line, what):
        self.findings.append(f"line {line}: {what}")

    # ---- type inference

    def is_lob(self, e, env):
        """Whether expression `e` is a LOB in `env`."""
        if e is None:
            return False
        if isinstance(e, exp.Column):
            return bool(env.column(ident(e.args.get("table")), ident(e.this)))
        if isinstance(e, exp.Cast):
            return is_lob_type(e.args.get("to"))
        if isinstance(e, (exp.Subquery,)):
            rel = self.query_relation(e.this, env)
            return bool(rel.columns and rel.columns[0][1])
        if isinstance(e, (exp.Select, exp.SetOperation)):
            rel = self.query_relation(e, env)
            return bool(rel.columns and rel.columns[0][1])
        if isinstance(e, exp.Case):
            parts = [i.args.get("true") for i in e.args.get("ifs") or []] + [e.args.get("default")]
            return any(self.is_lob(p, env) for p in parts)
        if isinstance(e, exp.DecodeCase):
            args = e.expressions
            results = [args[k] for k in range(2, len(args), 2)]
            if len(args) % 2 == 0:
                results.append(args[-1])
            return any(self.is_lob(r, env) for r in results)
        if isinstance(e, LOB_PASSING):
            return any(self.is_lob(c, env) for c in e.iter_expressions() if not isinstance(c, exp.DataType))
        return False

    def projection(self, e, env):
        """(name, is_lob) of one select-list item, or a list of them for `*` / `t.*`."""
        if isinstance(e, exp.Star):
            return [c for _, rel in env.sources for c in rel.columns]
        if isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            rel = env.relation(ident(e.args.get("table")))
            return list(rel.columns) if rel else []
        name = None
        if isinstance(e, exp.Alias):
            name = ident(e.args.get("alias"))
        elif isinstance(e, exp.Column):
            name = ident(e.this)
        return [(name, self.is_lob(e, env))]

    def query_relation(self, q, env):
        """The columns a query exposes (computed without reporting)."""
        if isinstance(q, exp.Subquery):
            return self.query_relation(q.this, env)
        if isinstance(q, exp.SetOperation):
            left = self.query_relation(q.left, env)
            right = self.query_relation(q.right, env)
            cols = []
            for k, (name, lob) in enumerate(left.columns):
                other = right.columns[k][1] if k < len(right.columns) else False
                cols.append((name, lob or other))
            return Relation(cols)
        if isinstance(q, exp.Select):
            inner = self.select_env(q, env, report=False)
            cols = []
            for p in q.expressions:
                cols.extend(self.projection(p, inner))
            return Relation(cols)
        return Relation([])

    def source_relation(self, src, env, cte_env, line, report):
        """(alias, Relation) of a FROM/JOIN item."""
        if isinstance(src, exp.Table):
            name = ident(src.this)
            alias = ident(src.args["alias"].this) if src.args.get("alias") else name
            rel = cte_env.get(name) or self.schema.get(name) or Relation([])
            return alias, rel
        if isinstance(src, exp.Subquery):
            if report:
                self.check_query(src.this, env, line)
            alias = ident(src.args["alias"].this) if src.args.get("alias") else None
            return alias, self.query_relation(src.this, env)
        return None, Relation([])

    def select_env(self, q, env, report, line=0):
        """The environment inside a SELECT: its CTEs, FROM and JOIN items, inside `env`."""
        ctes = {}
        with_ = q.args.get("with_") or q.args.get("with")
        if with_ is not None:
            for cte in with_.expressions:
                cte_scope = Env([(n, r) for n, r in ctes.items()], env)
                if report:
                    self.check_query(cte.this, cte_scope, line, ctes)
                ctes[ident(cte.args["alias"].this)] = self.query_relation_with(cte.this, cte_scope, ctes)
        sources = []
        from_ = q.args.get("from_") or q.args.get("from")
        items = []
        if from_ is not None:
            items.append(from_.this)
            items.extend(from_.expressions or [])
        for j in q.args.get("joins") or []:
            items.append(j.this)
        for item in items:
            sources.append(self.source_relation(item, env, ctes, line, report))
        return Env(sources, env)

    def query_relation_with(self, q, env, ctes):
        saved = dict(self.schema)
        self.schema.update(ctes)
        try:
            return self.query_relation(q, env)
        finally:
            self.schema = saved

    # ---- checks

    def lob_use(self, e, env, line, context):
        if self.is_lob(e, env):
            self.finding(line, f"LOB in {context}: {e.sql(dialect='oracle')[:120]}")

    def check_expr(self, e, env, line, context):
        """Comparisons, aggregates, windows and subqueries inside an expression."""
        if e is None:
            return
        stack = [e]
        while stack:
            node = stack.pop()
            if isinstance(node, (exp.Select, exp.SetOperation)):
                self.check_query(node, env, line)
                continue
            if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)):
                for side in (node.this, node.expression):
                    self.lob_use(side, env, line, f"{context} comparison '{node.sql(dialect='oracle')[:80]}'")
            elif isinstance(node, exp.In):
                for side in [node.this] + list(node.expressions or []):
                    self.lob_use(side, env, line, f"{context} IN list")
                if node.args.get("query") is not None:
                    self.lob_use(node.args["query"], env, line, f"{context} IN (subquery)")
            elif isinstance(node, exp.Between):
                for side in (node.this, node.args.get("low"), node.args.get("high")):
                    self.lob_use(side, env, line, f"{context} BETWEEN")
            elif isinstance(node, exp.DecodeCase):
                args = node.expressions
                compared = [args[0]] + [args[k] for k in range(1, len(args) - 1, 2)]
                for side in compared:
                    self.lob_use(side, env, line, f"{context} DECODE comparison")
            elif isinstance(node, (exp.Min, exp.Max)):
                self.lob_use(node.this, env, line, f"{context} {type(node).__name__.upper()}")
            elif isinstance(node, exp.Distinct):
                for d in node.expressions:
                    self.lob_use(d, env, line, f"{context} DISTINCT")
            elif isinstance(node, exp.Window):
                for p in node.args.get("partition_by") or []:
                    self.lob_use(p, env, line, f"{context} PARTITION BY")
                order = node.args.get("order")
                if order is not None:
                    for o in order.expressions:
                        self.lob_use(o.this, env, line, f"{context} window ORDER BY")
            stack.extend(c for c in node.iter_expressions() if not isinstance(c, exp.DataType))

    def check_query(self, q, env, line, ctes=None):
        if ctes:
            saved = dict(self.schema)
            self.schema.update(ctes)
            try:
                return self.check_query(q, env, line)
            finally:
                self.schema = saved
        if isinstance(q, exp.Subquery):
            return self.check_query(q.this, env, line)
        if isinstance(q, exp.SetOperation):
            self.check_query(q.left, env, line)
            self.check_query(q.right, env, line)
            if q.args.get("distinct", True) or not isinstance(q, exp.Union):
                op = type(q).__name__.upper()
                for name, lob in self.query_relation(q, env).columns:
                    if lob:
                        self.finding(line, f"LOB in {op} (not UNION ALL): column {name}")
            return
        if not isinstance(q, exp.Select):
            return
        inner = self.select_env(q, env, report=True, line=line)
        for p in q.expressions:
            self.check_expr(p, inner, line, "select list")
        if q.args.get("distinct") is not None:
            for name, lob in [c for p in q.expressions for c in self.projection(p, inner)]:
                if lob:
                    self.finding(line, f"LOB in SELECT DISTINCT: column {name}")
        for j in q.args.get("joins") or []:
            self.check_expr(j.args.get("on"), inner, line, "join condition")
        self.check_expr(q.args.get("where"), inner, line, "WHERE")
        self.check_expr(q.args.get("having"), inner, line, "HAVING")
        connect = q.args.get("connect")
        if connect is not None:
            self.check_expr(connect, inner, line, "CONNECT BY")
        group = q.args.get("group")
        if group is not None:
            for g in group.expressions:
                self.lob_use(g, inner, line, "GROUP BY")
                self.check_expr(g, inner, line, "GROUP BY")
        order = q.args.get("order")
        if order is not None:
            # ORDER BY may name a select-list alias.
            aliases = Env([(None, Relation([c for p in q.expressions for c in self.projection(p, inner)]))], inner)
            for o in order.expressions:
                target = o.this
                if isinstance(target, exp.Column) and target.args.get("table") is None:
                    lob = aliases.column(None, ident(target.this))
                    if lob:
                        self.finding(line, f"LOB in ORDER BY: {target.sql(dialect='oracle')}")
                    continue
                self.lob_use(target, inner, line, "ORDER BY")

    def table_env(self, table):
        name = ident(table.this)
        rel = self.schema.get(name, Relation([]))
        alias = ident(table.args["alias"].this) if table.args.get("alias") else name
        return [(alias, rel)] + ([(name, rel)] if alias != name else [])

    def check_assignments(self, assignments, env, line):
        for a in assignments or []:
            value = a.expression if isinstance(a, exp.EQ) else a
            self.check_expr(value, env, line, "SET value")

    def check_spelling(self, stmt, line):
        """What sqlglot reads but Oracle 19c refuses or reads otherwise."""
        def found(what):
            self.finding(line, f"not Oracle 19c: {what}")

        if isinstance(stmt, (exp.Create, exp.Drop)) and stmt.args.get("exists"):
            found("IF [NOT] EXISTS (23ai and later only)")
        for node in stmt.walk():
            if isinstance(node, exp.Limit):
                found("LIMIT (write FETCH FIRST n ROWS ONLY)")
            elif isinstance(node, exp.Boolean):
                found(f"boolean literal {node.sql()} (23ai and later only)")
            elif isinstance(node, (exp.NullSafeEQ, exp.NullSafeNEQ)):
                found("IS [NOT] DISTINCT FROM (23ai and later only)")
            elif isinstance(node, exp.ILike):
                found("ILIKE")
            elif isinstance(node, exp.DataType):
                if node.this == exp.DataType.Type.BOOLEAN:
                    found("BOOLEAN type (23ai and later only; use NUMBER(1))")
                elif node.this == exp.DataType.Type.BIGINT:
                    found("BIGINT type (use NUMBER(19))")
                elif node.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR) and not node.expressions:
                    found(f"{node.sql(dialect='oracle')} without a length")
            elif isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
                for side in (node.this, node.expression):
                    if isinstance(side, exp.Literal) and side.is_string and side.this == "":
                        self.finding(line, f"'' is NULL in Oracle, so this comparison is never true: {node.sql(dialect='oracle')[:80]}")

    def check_condition_values(self, stmt, line):
        """A condition used as a value (`SELECT a = b AS F`): Oracle SQL has no BOOLEAN before 23ai."""
        for select in stmt.find_all(exp.Select):
            for p in select.expressions:
                for node in p.walk():
                    if not isinstance(node, (exp.Predicate, exp.And, exp.Or, exp.Not)):
                        continue
                    child, parent, ok = node, node.parent, False
                    while parent is not None and child is not p:
                        if isinstance(parent, exp.If) and child is parent.this:
                            ok = True  # CASE WHEN <condition>
                        if isinstance(parent, (exp.Select, exp.Where, exp.Having, exp.Join, exp.Filter)):
                            ok = True  # inside a query of its own
                        if ok:
                            break
                        child, parent = parent, parent.parent
                    if not ok:
                        self.finding(line, f"not Oracle 19c: a condition used as a value: {node.sql(dialect='oracle')[:80]}")
                        break

    def check_statement(self, stmt, line):
        if self.spelling:
            self.check_spelling(stmt, line)
            self.check_condition_values(stmt, line)
        root = Env([])
        if isinstance(stmt, exp.Create):
            kind = (stmt.args.get("kind") or "").upper()
            if kind == "TABLE":
                self.create_table(stmt, line)
            elif kind == "VIEW":
                q = stmt.expression
                self.check_query(q, root, line)
                name = ident(stmt.this.this if isinstance(stmt.this, exp.Table) else stmt.this)
                self.schema[name] = self.query_relation(q, root)
            elif kind == "INDEX":
                table = stmt.this.args.get("table") if stmt.this is not None else None
                if table is not None:
                    env = Env(self.table_env(table))
                    params = stmt.this.args.get("params")
                    cols = params.args.get("columns") if params is not None else []
                    for c in cols or []:
                        self.lob_use(c.this if isinstance(c, exp.Ordered) else c, env, line, "an index key")
            return
        if isinstance(stmt, (exp.Select, exp.SetOperation)):
            self.check_query(stmt, root, line)
        elif isinstance(stmt, exp.Insert):
            if stmt.expression is not None:
                self.check_query(stmt.expression, root, line)
        elif isinstance(stmt, exp.Update):
            env = Env(self.table_env(stmt.this))
            self.check_assignments(stmt.expressions, env, line)
            self.check_expr(stmt.args.get("where"), env, line, "WHERE")
        elif isinstance(stmt, exp.Delete):
            env = Env(self.table_env(stmt.this))
            self.check_expr(stmt.args.get("where"), env, line, "WHERE")
        elif isinstance(stmt, exp.Merge):
            sources = self.table_env(stmt.this)
            using = stmt.args.get("using")
            if isinstance(using, exp.Table):
                sources += self.table_env(using)
            elif isinstance(using, exp.Subquery):
                self.check_query(using.this, root, line)
                alias = ident(using.args["alias"].this) if using.args.get("alias") else None
                sources.append((alias, self.query_relation(using.this, root)))
            env = Env(sources)
            self.check_expr(stmt.args.get("on"), env, line, "MERGE ON (join condition)")
            whens = stmt.args.get("whens")
            for w in (whens.expressions if whens is not None else []):
                self.check_expr(w.args.get("condition"), env, line, "MERGE WHEN")
                then = w.args.get("then")
                if isinstance(then, exp.Update):
                    self.check_assignments(then.expressions, env, line)
                    self.check_expr(then.args.get("where"), env, line, "MERGE UPDATE WHERE")
                elif isinstance(then, exp.Insert):
                    self.check_expr(then.expression, env, line, "MERGE INSERT values")
        # DROP and the like: nothing to check.

    def create_table(self, stmt, line):
        schema = stmt.this
        name = ident(schema.this.this)
        cols = []
        keys = []
        for c in schema.expressions:
            if isinstance(c, exp.ColumnDef):
                cname = ident(c.this)
                lob = is_lob_type(c.args.get("kind"))
                cols.append((cname, lob))
                for con in c.args.get("constraints") or []:
                    if isinstance(con.args.get("kind"), (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)):
                        keys.append(cname)
            elif isinstance(c, (exp.PrimaryKey, exp.UniqueColumnConstraint)):
                keys.extend(ident(k.this if isinstance(k, exp.Ordered) else k) for k in c.expressions)
            elif isinstance(c, exp.Constraint):
                for k in c.find_all(exp.PrimaryKey, exp.UniqueColumnConstraint):
                    keys.extend(ident(x.this if isinstance(x, exp.Ordered) else x) for x in k.expressions)
        rel = Relation(cols)
        for k in keys:
            if rel.get(k):
                self.finding(line, f"LOB as a key of {name}: column {k}")
        self.schema[name] = rel

    # ---- driver

    def parse(self, text, line, where):
        try:
            parsed = sqlglot.parse(text, read="oracle", error_level=ErrorLevel.RAISE)
        except Exception as e:  # sqlglot raises ParseError, TokenError and others
            first = str(e).strip().split("\n")[0]
            self.finding(line, f"{where} does not parse as Oracle SQL: {first[:160]}")
            return None
        stmts = [p for p in parsed if p is not None]
        for s in stmts:
            if isinstance(s, exp.Command):
                self.finding(line, f"{where} is not understood as Oracle SQL (parsed as an opaque command): {text.strip()[:80]}")
                return None
        return stmts

    def run(self, text):
        for line, kind, unit in split_script(text):
            if kind == "error":
                self.finding(line, unit)
            elif kind == "sqlplus":
                continue
            elif kind == "sql":
                self.statements += 1
                for s in self.parse(unit, line, "statement") or []:
                    self.check_statement(s, line)
            else:
                for offset, sql, dynamic in plsql_statements(unit):
                    self.statements += 1
                    where = "EXECUTE IMMEDIATE statement" if dynamic else "statement in a PL/SQL block"
                    for s in self.parse(sql, line + offset, where) or []:
                        self.check_statement(s, line + offset)
        return self.findings


def main(argv):
    args = argv[1:]
    spelling = "--lobs-only" not in args
    args = [a for a in args if a != "--lobs-only"]
    path = args[0] if args else "-"
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as e:
        print(f"check_lobs.py: cannot read {path}: {e}", file=sys.stderr)
        return 2
    checker = Checker(spelling=spelling)
    findings = checker.run(text)
    for f in findings:
        print(f)
    print(f"{len(findings)} finding(s) in {checker.statements} statement(s), {len(checker.schema)} tables and views typed")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
