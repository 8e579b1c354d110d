//! A small interpreter for the Structured Text subset the exporter writes, so tests can run the
//! exported code itself on every row: declarations (`VAR_INPUT`, `VAR_OUTPUT`, `VAR`,
//! `VAR CONSTANT`, with initial values), one-dimensional `ARRAY[a..b] OF T` with `[…]`
//! initialisers, function-block instances, assignments, IF/ELSIF/ELSE, FOR loops, calls of an
//! instance with named inputs and `instance.Output`, comparisons, AND/OR/NOT (bitwise on
//! `DWORD`), `+`, `-`, `*`, `/` and `**`, `EXP` and `ABS`, assignments to array elements, TRUE/FALSE,
//! integer, typed real and `DWORD#16#…` literals, `DINT` indices; a file may
//! hold several function blocks.
//! `REAL` values are `f32` and compute in 32 bits, `LREAL` values are `f64`; comparing or
//! assigning across types is an error, as in a strict IEC 61131-3 compiler, and so is reading a
//! variable before it is set (the exported block must not rely on its initial values) or an
//! `INT` outside −32768 … 32767.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// A value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// `REAL`.
    Real(f32),
    /// `LREAL`.
    Lreal(f64),
    /// `INT`.
    Int(i64),
    /// `BOOL`.
    Bool(bool),
    /// `DWORD`.
    Dword(u32),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Typed(String, String),
    Sym(&'static str),
}

#[derive(Debug, Clone)]
enum Expr {
    Lit(Value),
    Var(String),
    Index(String, Box<Expr>),
    Member(String, String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// A comparison, with an id unique in its file.
    Cmp(&'static str, Box<Expr>, Box<Expr>, usize),
    Arith(&'static str, Box<Expr>, Box<Expr>),
    /// A standard function of one argument: `EXP` or `ABS`.
    Call(String, Box<Expr>),
}

#[derive(Debug, Clone)]
enum Stmt {
    /// An assignment, with an id unique in its file.
    Assign(String, Expr, usize),
    /// An assignment to an array element.
    AssignIndex(String, Expr, Expr),
    If(Vec<(Expr, Vec<Stmt>)>, Vec<Stmt>),
    For(String, Expr, Expr, Vec<Stmt>),
    Call(String, Vec<(String, Expr)>),
}

/// A declared array: lower bound, element type, initial values (if given).
#[derive(Debug, Clone)]
struct ArrayDecl {
    low: i64,
    len: usize,
    ty: String,
    init: Option<Vec<Expr>>,
}

/// A parsed function block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Its name.
    pub name: String,
    /// Inputs in declaration order: (name, type).
    pub inputs: Vec<(String, String)>,
    /// Every declared scalar's type, by upper-case name.
    types: BTreeMap<String, String>,
    /// Initial values of scalars, by upper-case name.
    inits: BTreeMap<String, Expr>,
    /// Arrays, by upper-case name.
    arrays: BTreeMap<String, ArrayDecl>,
    /// Instances of other blocks: upper-case name → block name (upper case).
    instances: BTreeMap<String, String>,
    /// Names declared `CONSTANT`, which may not be assigned.
    constants: Vec<String>,
    body: Vec<Stmt>,
}

/// A parsed file: its function blocks, by upper-case name.
#[derive(Debug, Clone)]
pub struct Program {
    /// The blocks in file order.
    pub blocks: Vec<Block>,
}

const ELEMENTARY: [&str; 6] = ["REAL", "LREAL", "INT", "DINT", "BOOL", "DWORD"];

fn tokenize(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if src[i..].starts_with("(*") {
            let end = src[i + 2..].find("*)").expect("unterminated comment") + i + 2;
            assert!(!src[i + 2..end].contains("(*"), "a comment holds '(*': {}", &src[i..end + 2]);
            i = end + 2;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &src[start..i];
            if i < b.len() && b[i] == b'#' {
                i += 1;
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b"+-.".contains(&b[i])) {
                    // A sign only at the start or after the exponent mark.
                    if (b[i] == b'+' || b[i] == b'-') && i > s && !matches!(b[i - 1], b'E' | b'e') {
                        break;
                    }
                    i += 1;
                }
                // A based integer such as `DWORD#16#0000000F`.
                if i < b.len() && b[i] == b'#' {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                }
                out.push(Tok::Typed(word.to_ascii_uppercase(), src[s..i].to_owned()));
            } else {
                out.push(Tok::Ident(word.to_owned()));
            }
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            // `1..57` is a range, `1.5` an untyped real literal (which the exporter never writes).
            assert!(
                i >= b.len() || b[i] != b'.' || b.get(i + 1) == Some(&b'.'),
                "untyped real literal at {}",
                &src[start..=i]
            );
            out.push(Tok::Int(src[start..i].parse().expect("int")));
        } else {
            let sym = [
                ":=", "<=", ">=", "<>", "..", "**", ";", ":", "(", ")", "<", ">", "=", ",", "[", "]", ".", "+", "-",
                "*", "/",
            ]
            .into_iter()
            .find(|s| src[i..].starts_with(s))
            .unwrap_or_else(|| panic!("unexpected character {:?}", &src[i..(i + 10).min(src.len())]));
            out.push(Tok::Sym(sym));
            i += sym.len();
        }
    }
    out
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k)
    }

    fn next(&mut self) -> Tok {
        let t = self.toks.get(self.pos).cloned().expect("unexpected end");
        self.pos += 1;
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    fn kw(&mut self, kw: &str) {
        let t = self.next();
        assert!(matches!(&t, Tok::Ident(w) if w.eq_ignore_ascii_case(kw)), "expected {kw}, found {t:?}");
    }

    fn sym(&mut self, s: &str) {
        let t = self.next();
        assert!(matches!(&t, Tok::Sym(x) if *x == s), "expected '{s}', found {t:?}");
    }

    fn ident(&mut self) -> String {
        match self.next() {
            Tok::Ident(w) => w,
            t => panic!("expected a name, found {t:?}"),
        }
    }

    fn int(&mut self) -> i64 {
        match self.next() {
            Tok::Int(v) => v,
            t => panic!("expected a whole number, found {t:?}"),
        }
    }

    fn block(&mut self) -> Block {
        self.kw("FUNCTION_BLOCK");
        let name = self.ident();
        let mut b = Block {
            name,
            inputs: Vec::new(),
            types: BTreeMap::new(),
            inits: BTreeMap::new(),
            arrays: BTreeMap::new(),
            instances: BTreeMap::new(),
            constants: Vec::new(),
            body: Vec::new(),
        };
        let mut declared: Vec<String> = Vec::new();
        while self.is_kw("VAR_INPUT") || self.is_kw("VAR_OUTPUT") || self.is_kw("VAR") {
            let section = self.ident().to_ascii_uppercase();
            let constant = section == "VAR" && self.is_kw("CONSTANT");
            if constant {
                self.kw("CONSTANT");
            }
            while !self.is_kw("END_VAR") {
                let v = self.ident();
                let upper = v.to_ascii_uppercase();
                assert!(!declared.contains(&upper), "'{v}' is declared twice (names ignore case)");
                declared.push(upper.clone());
                self.sym(":");
                if self.is_kw("ARRAY") {
                    self.kw("ARRAY");
                    self.sym("[");
                    let low = self.int();
                    self.sym("..");
                    let high = self.int();
                    self.sym("]");
                    self.kw("OF");
                    let ty = self.ident().to_ascii_uppercase();
                    assert!(ELEMENTARY.contains(&ty.as_str()), "array of {ty}");
                    let init = if self.is_sym(":=") {
                        self.sym(":=");
                        self.sym("[");
                        let mut items = vec![self.expr()];
                        while self.is_sym(",") {
                            self.sym(",");
                            items.push(self.expr());
                        }
                        self.sym("]");
                        Some(items)
                    } else {
                        None
                    };
                    let len = usize::try_from(high - low + 1).expect("array bounds");
                    if let Some(items) = &init {
                        assert_eq!(items.len(), len, "'{v}' has {len} elements and {} initial values", items.len());
                    }
                    b.arrays.insert(upper.clone(), ArrayDecl { low, len, ty, init });
                } else {
                    let ty = self.ident().to_ascii_uppercase();
                    if ELEMENTARY.contains(&ty.as_str()) {
                        b.types.insert(upper.clone(), ty.clone());
                        if section == "VAR_INPUT" {
                            b.inputs.push((v, ty));
                        }
                        if self.is_sym(":=") {
                            self.sym(":=");
                            let e = self.expr();
                            b.inits.insert(upper.clone(), e);
                        }
                    } else {
                        assert_eq!(section, "VAR", "an instance of {ty} outside VAR");
                        b.instances.insert(upper.clone(), ty);
                    }
                }
                if constant {
                    b.constants.push(upper);
                }
                self.sym(";");
            }
            self.kw("END_VAR");
        }
        b.body = self.statements(&["END_FUNCTION_BLOCK"]);
        self.kw("END_FUNCTION_BLOCK");
        b
    }

    fn statements(&mut self, end: &[&str]) -> Vec<Stmt> {
        let mut out = Vec::new();
        while !end.iter().any(|e| self.is_kw(e)) {
            if self.is_kw("IF") {
                self.kw("IF");
                let mut arms = Vec::new();
                let cond = self.expr();
                self.kw("THEN");
                arms.push((cond, self.statements(&["ELSIF", "ELSE", "END_IF"])));
                let mut otherwise = Vec::new();
                loop {
                    if self.is_kw("ELSIF") {
                        self.kw("ELSIF");
                        let c = self.expr();
                        self.kw("THEN");
                        arms.push((c, self.statements(&["ELSIF", "ELSE", "END_IF"])));
                    } else if self.is_kw("ELSE") {
                        self.kw("ELSE");
                        otherwise = self.statements(&["END_IF"]);
                    } else {
                        break;
                    }
                }
                self.kw("END_IF");
                self.sym(";");
                out.push(Stmt::If(arms, otherwise));
            } else if self.is_kw("FOR") {
                self.kw("FOR");
                let v = self.ident().to_ascii_uppercase();
                self.sym(":=");
                let from = self.expr();
                self.kw("TO");
                let to = self.expr();
                self.kw("DO");
                let body = self.statements(&["END_FOR"]);
                self.kw("END_FOR");
                self.sym(";");
                out.push(Stmt::For(v, from, to, body));
            } else {
                let v = self.ident();
                if self.is_sym("(") {
                    self.sym("(");
                    let mut args = Vec::new();
                    while !self.is_sym(")") {
                        let name = self.ident().to_ascii_uppercase();
                        self.sym(":=");
                        args.push((name, self.expr()));
                        if self.is_sym(",") {
                            self.sym(",");
                        }
                    }
                    self.sym(")");
                    self.sym(";");
                    out.push(Stmt::Call(v.to_ascii_uppercase(), args));
                } else if self.is_sym("[") {
                    self.sym("[");
                    let index = self.expr();
                    self.sym("]");
                    self.sym(":=");
                    let e = self.expr();
                    self.sym(";");
                    out.push(Stmt::AssignIndex(v.to_ascii_uppercase(), index, e));
                } else {
                    let id = self.pos;
                    self.sym(":=");
                    let e = self.expr();
                    self.sym(";");
                    out.push(Stmt::Assign(v.to_ascii_uppercase(), e, id));
                }
            }
        }
        out
    }

    fn expr(&mut self) -> Expr {
        let mut e = self.and();
        while self.is_kw("OR") {
            self.kw("OR");
            e = Expr::Or(Box::new(e), Box::new(self.and()));
        }
        e
    }

    fn and(&mut self) -> Expr {
        let mut e = self.cmp();
        while self.is_kw("AND") {
            self.kw("AND");
            e = Expr::And(Box::new(e), Box::new(self.cmp()));
        }
        e
    }

    fn cmp(&mut self) -> Expr {
        let a = self.sum();
        if let Some(Tok::Sym(s @ ("<=" | ">=" | "<>" | "<" | ">" | "="))) = self.peek().cloned() {
            self.pos += 1;
            let id = self.pos;
            let b = self.sum();
            return Expr::Cmp(s, Box::new(a), Box::new(b), id);
        }
        a
    }

    fn sum(&mut self) -> Expr {
        let mut e = self.product();
        loop {
            let op = if self.is_sym("+") {
                "+"
            } else if self.is_sym("-") {
                "-"
            } else {
                break;
            };
            self.sym(op);
            e = Expr::Arith(op, Box::new(e), Box::new(self.product()));
        }
        e
    }

    fn product(&mut self) -> Expr {
        let mut e = self.power();
        loop {
            let op = if self.is_sym("/") {
                "/"
            } else if self.is_sym("*") {
                "*"
            } else {
                break;
            };
            self.sym(op);
            e = Expr::Arith(op, Box::new(e), Box::new(self.power()));
        }
        e
    }

    /// `a ** b`, which binds tighter than `*` and `/` (Logix writes `e^x` so).
    fn power(&mut self) -> Expr {
        let mut e = self.primary();
        while self.is_sym("**") {
            self.sym("**");
            e = Expr::Arith("**", Box::new(e), Box::new(self.primary()));
        }
        e
    }

    fn primary(&mut self) -> Expr {
        match self.next() {
            Tok::Sym("(") => {
                let e = self.expr();
                self.sym(")");
                e
            }
            Tok::Int(v) => Expr::Lit(Value::Int(v)),
            Tok::Typed(ty, text) if ty == "DWORD" => {
                let v = match text.split_once('#') {
                    Some(("16", hex)) => u32::from_str_radix(hex, 16).expect("hex DWORD"),
                    Some((base, _)) => panic!("DWORD literal in base {base}"),
                    None => text.parse().expect("DWORD literal"),
                };
                Expr::Lit(Value::Dword(v))
            }
            Tok::Typed(ty, text) => {
                assert!(text.contains('.'), "a real literal without a decimal point: {ty}#{text}");
                match ty.as_str() {
                    "REAL" => Expr::Lit(Value::Real(text.parse().expect("REAL literal"))),
                    "LREAL" => Expr::Lit(Value::Lreal(text.parse().expect("LREAL literal"))),
                    other => panic!("unexpected typed literal {other}#{text}"),
                }
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("TRUE") => Expr::Lit(Value::Bool(true)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("FALSE") => Expr::Lit(Value::Bool(false)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("NOT") => Expr::Not(Box::new(self.primary())),
            Tok::Ident(w) => {
                let name = w.to_ascii_uppercase();
                if self.is_sym("(") {
                    assert!(name == "EXP" || name == "ABS", "call of {name}");
                    self.sym("(");
                    let a = self.expr();
                    self.sym(")");
                    Expr::Call(name, Box::new(a))
                } else if self.is_sym("[") {
                    self.sym("[");
                    let i = self.expr();
                    self.sym("]");
                    Expr::Index(name, Box::new(i))
                } else if self.is_sym(".") && matches!(self.peek_at(1), Some(Tok::Ident(_))) {
                    self.sym(".");
                    Expr::Member(name, self.ident().to_ascii_uppercase())
                } else {
                    Expr::Var(name)
                }
            }
            t @ Tok::Sym(_) => panic!("unexpected {t:?}"),
        }
    }
}

/// Parses a whole `.st` file holding one function block.
pub fn parse(src: &str) -> Block {
    let mut program = parse_file(src);
    assert_eq!(program.blocks.len(), 1, "a file with one function block");
    program.blocks.remove(0)
}

/// Parses a `.st` file holding any number of function blocks.
pub fn parse_file(src: &str) -> Program {
    let mut p = Parser { toks: tokenize(src), pos: 0 };
    let mut blocks = Vec::new();
    while p.peek().is_some() {
        blocks.push(p.block());
    }
    Program { blocks }
}

fn compare<T: PartialOrd + Copy>(op: &str, a: T, b: T) -> bool {
    match op {
        "<=" => a <= b,
        ">=" => a >= b,
        "<" => a < b,
        ">" => a > b,
        "=" => a == b,
        "<>" => a != b,
        _ => unreachable!(),
    }
}

fn same_type(v: Value, ty: &str) -> bool {
    matches!(
        (v, ty),
        (Value::Real(_), "REAL")
            | (Value::Lreal(_), "LREAL")
            | (Value::Int(_), "INT" | "DINT")
            | (Value::Bool(_), "BOOL")
            | (Value::Dword(_), "DWORD")
    )
}

/// The state of one block instance.
#[derive(Debug, Clone, Default)]
struct Frame {
    vars: BTreeMap<String, Value>,
    arrays: BTreeMap<String, (i64, Vec<Value>)>,
    instances: BTreeMap<String, Frame>,
    trace: RefCell<Trace>,
}

/// What a call executed: the assignments (by id) and every comparison of a variable with a
/// `REAL`/`LREAL` literal (id, the variable's value, the literal's value).
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// Assignments executed.
    pub assignments: BTreeSet<usize>,
    /// Comparisons of a variable with a real literal.
    pub comparisons: Vec<(usize, f64, f64)>,
    /// Operations executed, counted as the cost report counts them: comparisons, AND/OR/NOT,
    /// arithmetic, assignments, IF/ELSIF conditions tested.
    pub ops: [u64; 5],
}

/// The places of a block's code a test bench should reach.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// Assignments to `decision`: one per leaf or rule, and one for the default rule.
    pub decisions: Vec<usize>,
    /// Comparisons of a filled-in input (`…_used`) with a real literal: (id, operator, literal).
    pub thresholds: Vec<(usize, &'static str, f64)>,
}

fn real_of(v: Value) -> Option<f64> {
    match v {
        Value::Real(x) => Some(f64::from(x)),
        Value::Lreal(x) => Some(x),
        _ => None,
    }
}

fn collect_places(stmts: &[Stmt], p: &mut Places) {
    fn expr(e: &Expr, p: &mut Places) {
        match e {
            Expr::Cmp(op, a, b, id) => {
                if let (Expr::Var(n), Expr::Lit(v)) = (&**a, &**b)
                    && n.ends_with("_USED")
                    && let Some(x) = real_of(*v)
                {
                    p.thresholds.push((*id, op, x));
                }
                expr(a, p);
                expr(b, p);
            }
            Expr::Not(a) => expr(a, p),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Arith(_, a, b) => {
                expr(a, p);
                expr(b, p);
            }
            Expr::Index(_, i) | Expr::Call(_, i) => expr(i, p),
            Expr::Lit(_) | Expr::Var(_) | Expr::Member(..) => {}
        }
    }
    for s in stmts {
        match s {
            Stmt::Assign(n, e, id) => {
                if n == "DECISION" {
                    p.decisions.push(*id);
                }
                expr(e, p);
            }
            Stmt::AssignIndex(_, i, e) => {
                expr(i, p);
                expr(e, p);
            }
            Stmt::If(arms, otherwise) => {
                for (c, body) in arms {
                    expr(c, p);
                    collect_places(body, p);
                }
                collect_places(otherwise, p);
            }
            Stmt::For(_, a, b, body) => {
                expr(a, p);
                expr(b, p);
                collect_places(body, p);
            }
            Stmt::Call(_, args) => {
                for (_, e) in args {
                    expr(e, p);
                }
            }
        }
    }
}

/// Counts one operation of kind `k` (see [`Trace::ops`]) and passes `v` on.
fn count<T>(f: &Frame, k: usize, v: T) -> T {
    f.trace.borrow_mut().ops[k] += 1;
    v
}

fn eval(e: &Expr, f: &Frame) -> Value {
    match e {
        Expr::Lit(v) => *v,
        Expr::Var(n) => *f.vars.get(n).unwrap_or_else(|| panic!("'{n}' is read before it is set")),
        Expr::Index(n, i) => {
            let Value::Int(k) = eval(i, f) else { panic!("index of {n} is not an INT") };
            let (low, values) = f.arrays.get(n).unwrap_or_else(|| panic!("'{n}' is not an array"));
            let at = usize::try_from(k - low).ok().filter(|&at| at < values.len());
            values[at.unwrap_or_else(|| panic!("{n}[{k}] is out of bounds"))]
        }
        Expr::Member(inst, field) => {
            let frame = f.instances.get(inst).unwrap_or_else(|| panic!("'{inst}' is not an instance"));
            *frame.vars.get(field).unwrap_or_else(|| panic!("'{inst}.{field}' is read before it is set"))
        }
        Expr::Not(a) => match count(f, 1, eval(a, f)) {
            Value::Bool(b) => Value::Bool(!b),
            v => panic!("NOT of {v:?}"),
        },
        Expr::And(a, b) | Expr::Or(a, b) => {
            f.trace.borrow_mut().ops[1] += 1;
            let and = matches!(e, Expr::And(..));
            match (eval(a, f), eval(b, f)) {
                (Value::Bool(x), Value::Bool(y)) => Value::Bool(if and { x && y } else { x || y }),
                (Value::Dword(x), Value::Dword(y)) => Value::Dword(if and { x & y } else { x | y }),
                (x, y) => panic!("AND/OR of {x:?} and {y:?}"),
            }
        }
        Expr::Cmp(op, a, b, id) => Value::Bool(match count(f, 0, (eval(a, f), eval(b, f))) {
            (x @ Value::Real(_), y @ Value::Real(_)) | (x @ Value::Lreal(_), y @ Value::Lreal(_))
                if matches!(**b, Expr::Lit(_)) =>
            {
                let (x, y) = (real_of(x).unwrap_or(f64::NAN), real_of(y).unwrap_or(f64::NAN));
                f.trace.borrow_mut().comparisons.push((*id, x, y));
                // Both are values of the same type, so comparing them widened decides alike.
                compare(op, x, y)
            }
            (Value::Real(x), Value::Real(y)) => compare(op, x, y),
            (Value::Lreal(x), Value::Lreal(y)) => compare(op, x, y),
            (Value::Int(x), Value::Int(y)) => compare(op, x, y),
            (Value::Dword(x), Value::Dword(y)) => compare(op, x, y),
            (Value::Bool(x), Value::Bool(y)) => compare(op, x, y),
            (x, y) => panic!("comparing {x:?} with {y:?}: types differ"),
        }),
        Expr::Arith(op, a, b) => match count(f, 2, (*op, eval(a, f), eval(b, f))) {
            ("+", Value::Int(x), Value::Int(y)) => Value::Int(x + y),
            ("-", Value::Int(x), Value::Int(y)) => Value::Int(x - y),
            ("*", Value::Int(x), Value::Int(y)) => Value::Int(x * y),
            ("-", Value::Real(x), Value::Real(y)) => Value::Real(x - y),
            ("-", Value::Lreal(x), Value::Lreal(y)) => Value::Lreal(x - y),
            ("*", Value::Real(x), Value::Real(y)) => Value::Real(x * y),
            ("*", Value::Lreal(x), Value::Lreal(y)) => Value::Lreal(x * y),
            ("+", Value::Real(x), Value::Real(y)) => Value::Real(x + y),
            ("+", Value::Lreal(x), Value::Lreal(y)) => Value::Lreal(x + y),
            ("/", Value::Real(x), Value::Real(y)) => Value::Real(x / y),
            ("/", Value::Lreal(x), Value::Lreal(y)) => Value::Lreal(x / y),
            ("**", Value::Real(x), Value::Real(y)) => Value::Real(x.powf(y)),
            ("**", Value::Lreal(x), Value::Lreal(y)) => Value::Lreal(x.powf(y)),
            (op, x, y) => panic!("{x:?} {op} {y:?}"),
        },
        Expr::Call(name, a) => match count(f, 2, (name.as_str(), eval(a, f))) {
            ("EXP", Value::Real(x)) => Value::Real(x.exp()),
            ("EXP", Value::Lreal(x)) => Value::Lreal(x.exp()),
            ("ABS", Value::Real(x)) => Value::Real(x.abs()),
            ("ABS", Value::Lreal(x)) => Value::Lreal(x.abs()),
            (name, x) => panic!("{name}({x:?})"),
        },
    }
}

impl Program {
    fn block(&self, name: &str) -> &Block {
        self.blocks
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no function block {name}"))
    }

    /// Runs one call of a fresh instance of block `name` with the given inputs (the others keep
    /// their initial values) and returns every variable after the call, by upper-case name.
    pub fn run(&self, name: &str, inputs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        let block = self.block(name);
        let mut frame = block.frame(self);
        let args: Vec<(String, Value)> = inputs.iter().map(|(n, v)| (n.to_ascii_uppercase(), *v)).collect();
        block.call(self, &mut frame, &args);
        frame.vars
    }
}

impl Block {
    /// A fresh instance: initial values set, arrays filled, instances made.
    fn frame(&self, program: &Program) -> Frame {
        let mut f = Frame::default();
        for (n, e) in &self.inits {
            let v = eval(e, &f);
            assert!(same_type(v, &self.types[n]), "initial value {v:?} of {n} : {}", self.types[n]);
            f.vars.insert(n.clone(), v);
        }
        for (n, a) in &self.arrays {
            let values: Vec<Value> = match &a.init {
                Some(items) => items
                    .iter()
                    .map(|e| {
                        let v = eval(e, &f);
                        assert!(same_type(v, &a.ty), "element {v:?} of {n} : ARRAY OF {}", a.ty);
                        v
                    })
                    .collect(),
                None => vec![
                    match a.ty.as_str() {
                        "REAL" => Value::Real(0.0),
                        "LREAL" => Value::Lreal(0.0),
                        "INT" | "DINT" => Value::Int(0),
                        "BOOL" => Value::Bool(false),
                        _ => Value::Dword(0),
                    };
                    a.len
                ],
            };
            f.arrays.insert(n.clone(), (a.low, values));
        }
        for (n, ty) in &self.instances {
            f.instances.insert(n.clone(), program.block(ty).frame(program));
        }
        f
    }

    /// One call: the inputs given, then the body.
    fn call(&self, program: &Program, frame: &mut Frame, args: &[(String, Value)]) {
        for (n, v) in args {
            let (_, ty) = self
                .inputs
                .iter()
                .find(|(i, _)| i.eq_ignore_ascii_case(n))
                .unwrap_or_else(|| panic!("{} has no input {n}", self.name));
            assert!(same_type(*v, ty), "passing {v:?} to {n} : {ty} of {}", self.name);
            frame.vars.insert(n.clone(), *v);
        }
        self.exec(program, &self.body, frame);
    }

    fn exec(&self, program: &Program, stmts: &[Stmt], f: &mut Frame) {
        for s in stmts {
            match s {
                Stmt::Assign(n, e, id) => {
                    let v = eval(e, f);
                    self.store(n, v, f);
                    let mut t = f.trace.borrow_mut();
                    t.assignments.insert(*id);
                    t.ops[3] += 1;
                }
                Stmt::AssignIndex(n, i, e) => {
                    let Value::Int(k) = eval(i, f) else { panic!("index of {n} is not an integer") };
                    let v = eval(e, f);
                    assert!(!self.constants.iter().any(|c| c == n), "assigning an element of the constant {n}");
                    let ty = &self.arrays.get(n).unwrap_or_else(|| panic!("'{n}' is not an array")).ty;
                    assert!(same_type(v, ty), "assigning {v:?} to an element of {n} : ARRAY OF {ty}");
                    let (low, values) = f.arrays.get_mut(n).unwrap_or_else(|| panic!("'{n}' is not an array"));
                    let at = usize::try_from(k - *low).ok().filter(|&at| at < values.len());
                    values[at.unwrap_or_else(|| panic!("{n}[{k}] is out of bounds"))] = v;
                    f.trace.borrow_mut().ops[3] += 1;
                }
                Stmt::If(arms, otherwise) => {
                    let arm = arms.iter().find(|(c, _)| match count(f, 4, eval(c, f)) {
                        Value::Bool(b) => b,
                        v => panic!("IF on {v:?}"),
                    });
                    self.exec(program, arm.map_or(otherwise.as_slice(), |(_, b)| b.as_slice()), f);
                }
                Stmt::For(v, from, to, body) => {
                    let (Value::Int(a), Value::Int(b)) = (eval(from, f), eval(to, f)) else {
                        panic!("FOR bounds are not INT");
                    };
                    for k in a..=b {
                        self.store(v, Value::Int(k), f);
                        self.exec(program, body, f);
                    }
                }
                Stmt::Call(inst, args) => {
                    let ty = self.instances.get(inst).unwrap_or_else(|| panic!("'{inst}' is not an instance"));
                    let callee = program.block(ty);
                    let values: Vec<(String, Value)> = args.iter().map(|(n, e)| (n.clone(), eval(e, f))).collect();
                    let mut frame = f.instances.remove(inst).expect("instance frame");
                    callee.call(program, &mut frame, &values);
                    f.instances.insert(inst.clone(), frame);
                }
            }
        }
    }

    fn store(&self, n: &str, v: Value, f: &mut Frame) {
        let ty = self.types.get(n).unwrap_or_else(|| panic!("'{n}' is not declared"));
        assert!(!self.constants.iter().any(|c| c == n), "assigning the constant {n}");
        assert!(same_type(v, ty), "assigning {v:?} to {n} : {ty}");
        if let Value::Int(x) = v {
            if ty == "INT" {
                assert!(i16::try_from(x).is_ok(), "{n} := {x} overflows INT");
            } else {
                assert!(i32::try_from(x).is_ok(), "{n} := {x} overflows DINT");
            }
        }
        f.vars.insert(n.to_owned(), v);
    }

    /// Runs the block on one row of raw feature values (category codes for INT inputs) and
    /// returns every variable after the call, by upper-case name.
    pub fn run(&self, raw: &[f64]) -> BTreeMap<String, Value> {
        self.run_traced(raw).0
    }

    /// The places of the code a test should reach (see [`Places`]).
    pub fn places(&self) -> Places {
        let mut p = Places::default();
        collect_places(&self.body, &mut p);
        p
    }

    /// As [`run`](Self::run), with what the call executed.
    pub fn run_traced(&self, raw: &[f64]) -> (BTreeMap<String, Value>, Trace) {
        // The exported block holds no instances, so it needs no other blocks.
        let program = Program { blocks: Vec::new() };
        let mut frame = self.frame(&program);
        let args: Vec<(String, Value)> = self
            .inputs
            .iter()
            .zip(raw)
            .map(|((name, ty), &x)| {
                #[allow(clippy::cast_possible_truncation)]
                let v = match ty.as_str() {
                    "REAL" => Value::Real(x as f32),
                    "LREAL" => Value::Lreal(x),
                    "INT" => Value::Int(if x.is_nan() { -1 } else { x as i64 }),
                    other => panic!("input type {other}"),
                };
                (name.to_ascii_uppercase(), v)
            })
            .collect();
        self.call(&program, &mut frame, &args);
        (frame.vars, frame.trace.into_inner())
    }
}
