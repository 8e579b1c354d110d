//! A small interpreter for the Structured Text subset the exporter writes, so tests can run the
//! exported code itself on every row: declarations, assignments, IF/ELSIF/ELSE, comparisons,
//! AND/OR/NOT (bitwise on `DWORD`), TRUE/FALSE, integer, typed real and `DWORD#16#…` literals.
//! `REAL` values are `f32` and compare in 32 bits, `LREAL` values are `f64`; comparing or
//! assigning across types is an error, as in a strict IEC 61131-3 compiler.

use std::collections::BTreeMap;

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
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(&'static str, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
enum Stmt {
    Assign(String, Expr),
    If(Vec<(Expr, Vec<Stmt>)>, Vec<Stmt>),
}

/// A parsed function block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Its name.
    pub name: String,
    /// Inputs in declaration order: (name, type).
    pub inputs: Vec<(String, String)>,
    /// Every declared variable's type, by upper-case name.
    types: BTreeMap<String, String>,
    body: Vec<Stmt>,
}

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
            assert!(i >= b.len() || b[i] != b'.', "untyped real literal at {}", &src[start..=i]);
            out.push(Tok::Int(src[start..i].parse().expect("int")));
        } else {
            let sym = [":=", "<=", ">=", "<>", ";", ":", "(", ")", "<", ">", "=", ","]
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

    fn next(&mut self) -> Tok {
        let t = self.toks.get(self.pos).cloned().expect("unexpected end");
        self.pos += 1;
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(kw))
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

    fn block(&mut self) -> Block {
        self.kw("FUNCTION_BLOCK");
        let name = self.ident();
        let mut inputs = Vec::new();
        let mut types = BTreeMap::new();
        while self.is_kw("VAR_INPUT") || self.is_kw("VAR_OUTPUT") || self.is_kw("VAR") {
            let section = self.ident().to_ascii_uppercase();
            while !self.is_kw("END_VAR") {
                let v = self.ident();
                self.sym(":");
                let ty = self.ident().to_ascii_uppercase();
                self.sym(";");
                assert!(
                    types.insert(v.to_ascii_uppercase(), ty.clone()).is_none(),
                    "'{v}' is declared twice (names ignore case)"
                );
                if section == "VAR_INPUT" {
                    inputs.push((v, ty));
                }
            }
            self.kw("END_VAR");
        }
        let body = self.statements(&["END_FUNCTION_BLOCK"]);
        self.kw("END_FUNCTION_BLOCK");
        assert!(self.peek().is_none(), "text after END_FUNCTION_BLOCK");
        Block { name, inputs, types, body }
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
            } else {
                let v = self.ident();
                self.sym(":=");
                let e = self.expr();
                self.sym(";");
                out.push(Stmt::Assign(v.to_ascii_uppercase(), e));
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
        let a = self.primary();
        if let Some(Tok::Sym(s @ ("<=" | ">=" | "<>" | "<" | ">" | "="))) = self.peek().cloned() {
            self.pos += 1;
            let b = self.primary();
            return Expr::Cmp(s, Box::new(a), Box::new(b));
        }
        a
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
            Tok::Ident(w) => Expr::Var(w.to_ascii_uppercase()),
            t @ Tok::Sym(_) => panic!("unexpected {t:?}"),
        }
    }
}

/// Parses a whole `.st` file holding one function block.
pub fn parse(src: &str) -> Block {
    let mut p = Parser { toks: tokenize(src), pos: 0 };
    p.block()
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

fn eval(e: &Expr, env: &BTreeMap<String, Value>) -> Value {
    match e {
        Expr::Lit(v) => *v,
        Expr::Var(n) => *env.get(n).unwrap_or_else(|| panic!("'{n}' is read before it is set")),
        Expr::Not(a) => match eval(a, env) {
            Value::Bool(b) => Value::Bool(!b),
            v => panic!("NOT of {v:?}"),
        },
        Expr::And(a, b) | Expr::Or(a, b) => match (eval(a, env), eval(b, env)) {
            (Value::Bool(x), Value::Bool(y)) => Value::Bool(if matches!(e, Expr::And(..)) { x && y } else { x || y }),
            (Value::Dword(x), Value::Dword(y)) => Value::Dword(if matches!(e, Expr::And(..)) { x & y } else { x | y }),
            (x, y) => panic!("AND/OR of {x:?} and {y:?}"),
        },
        Expr::Cmp(op, a, b) => Value::Bool(match (eval(a, env), eval(b, env)) {
            (Value::Real(x), Value::Real(y)) => compare(op, x, y),
            (Value::Lreal(x), Value::Lreal(y)) => compare(op, x, y),
            (Value::Int(x), Value::Int(y)) => compare(op, x, y),
            (Value::Dword(x), Value::Dword(y)) => compare(op, x, y),
            (x, y) => panic!("comparing {x:?} with {y:?}: types differ"),
        }),
    }
}

fn same_type(v: Value, ty: &str) -> bool {
    matches!(
        (v, ty),
        (Value::Real(_), "REAL")
            | (Value::Lreal(_), "LREAL")
            | (Value::Int(_), "INT")
            | (Value::Bool(_), "BOOL")
            | (Value::Dword(_), "DWORD")
    )
}

impl Block {
    fn exec(&self, stmts: &[Stmt], env: &mut BTreeMap<String, Value>) {
        for s in stmts {
            match s {
                Stmt::Assign(n, e) => {
                    let v = eval(e, env);
                    let ty = self.types.get(n).unwrap_or_else(|| panic!("'{n}' is not declared"));
                    assert!(same_type(v, ty), "assigning {v:?} to {n} : {ty}");
                    env.insert(n.clone(), v);
                }
                Stmt::If(arms, otherwise) => {
                    let arm = arms.iter().find(|(c, _)| match eval(c, env) {
                        Value::Bool(b) => b,
                        v => panic!("IF on {v:?}"),
                    });
                    self.exec(arm.map_or(otherwise.as_slice(), |(_, b)| b.as_slice()), env);
                }
            }
        }
    }

    /// Runs the block on one row of raw feature values (category codes for INT inputs) and
    /// returns every variable after the call, by upper-case name.
    pub fn run(&self, raw: &[f64]) -> BTreeMap<String, Value> {
        let mut env = BTreeMap::new();
        for ((name, ty), &x) in self.inputs.iter().zip(raw) {
            #[allow(clippy::cast_possible_truncation)]
            let v = match ty.as_str() {
                "REAL" => Value::Real(x as f32),
                "LREAL" => Value::Lreal(x),
                "INT" => Value::Int(if x.is_nan() { -1 } else { x as i64 }),
                other => panic!("input type {other}"),
            };
            env.insert(name.to_ascii_uppercase(), v);
        }
        self.exec(&self.body, &mut env);
        env
    }
}
