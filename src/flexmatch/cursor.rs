//! [`Cursor`]: a place in the text of a property expression or a compound statement, with
//! the reading steps both grammars share. Each grammar adds its own rules as methods of
//! `Cursor` in its own module (`expr`, `compound`).

/// Where a parser is in its text.
pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    /// Reads the whole of `text` with `rule`: anything left after it is an error.
    pub(super) fn read_all<T>(
        text: &'a str,
        rule: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut cursor = Self { text, pos: 0 };
        let read = rule(&mut cursor)?;
        cursor.skip_space();
        if cursor.pos != text.len() {
            return Err(cursor.error("unexpected text"));
        }
        Ok(read)
    }

    /// The text not read yet.
    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub(super) fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    /// `what` went wrong here: the message names the character and quotes the text.
    pub(super) fn error(&self, what: &str) -> String {
        let at = self.text[..self.pos].chars().count();
        format!("{what} at character {at} of {:?}", self.text)
    }

    /// Reads `token` (after spaces) if it comes next.
    pub(super) fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }
}
