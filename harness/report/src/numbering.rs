//! The table and figure numbers of a report, handed from section to section
//! in document order.

/// The numbers the sections use and leave.
pub(crate) struct Numbering {
    /// The next free table number.
    pub(crate) table: usize,
    /// The next free figure number.
    pub(crate) figure: usize,
}

impl Numbering {
    /// Takes the next table number.
    pub(crate) fn next_table(&mut self) -> usize {
        self.table += 1;
        self.table - 1
    }

    /// Takes the next figure number.
    pub(crate) fn next_figure(&mut self) -> usize {
        self.figure += 1;
        self.figure - 1
    }
}
