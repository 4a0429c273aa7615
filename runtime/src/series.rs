//! `usimc run --series`: every change of what a report follows over time
//! (the vars, the units held and requests waiting at each lock, the items
//! buffered in each queue, each resource's level and its gets and puts
//! waiting), handed to a [`SeriesSink`] the front end injects, at the moment
//! the statistics see it. The runtime only numbers the series
//! ([`series_layout`]) and calls the sink; naming and writing them is the
//! front end's business, so the runtime stays free of IO.
//!
//! A run without a sink pays one predictable branch per change.

use crate::program::{ObjectKindSpec, Program};
use crate::Runtime;

/// Receives the changes of one run's series as they happen (see [`series_layout`]).
pub trait SeriesSink: Send {
    /// Series `series` took `value` at simulated time `time`. Called first
    /// for every series at time 0 with its initial value, in series order,
    /// then for each change in the order the changes happen; a store that
    /// leaves a value as it was is no change.
    fn change(&mut self, series: u32, time: f64, value: f64);

    /// The run has ended: nothing more will come.
    fn finish(&mut self) {}
}

/// What one series follows: the figure of the report whose time-weighted
/// statistics it is the history of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesOf {
    /// An int, float or bool of the globals: [`Program::cells`] entry `cell`
    /// (a bool is 1 while true, 0 while false).
    Var { cell: u32 },
    /// The units of lock `object` held.
    LockHeld { object: u32 },
    /// The requests waiting in lock `object`'s line.
    LockQueue { object: u32 },
    /// The items buffered in queue `object`.
    QueueLength { object: u32 },
    /// The level of resource `object`.
    ResourceLevel { object: u32 },
    /// The gets and puts waiting at resource `object`.
    ResourceQueue { object: u32 },
}

/// The series of `program`, numbered as [`SeriesSink::change`] numbers
/// them: the cells in their order, then each object in its order (a lock:
/// held, then queue; a queue: its length; a resource: level, then queue;
/// a channel has none).
pub fn series_layout(program: &Program<'_>) -> Vec<SeriesOf> {
    let mut layout: Vec<SeriesOf> = (0..program.cells().len() as u32).map(|cell| SeriesOf::Var { cell }).collect();
    for (index, spec) in program.objects().iter().enumerate() {
        let object = index as u32;
        match spec.kind {
            ObjectKindSpec::Lock { .. } => {
                layout.extend([SeriesOf::LockHeld { object }, SeriesOf::LockQueue { object }]);
            }
            ObjectKindSpec::Queue { .. } => layout.push(SeriesOf::QueueLength { object }),
            ObjectKindSpec::Resource { .. } => {
                layout.extend([SeriesOf::ResourceLevel { object }, SeriesOf::ResourceQueue { object }]);
            }
            ObjectKindSpec::Channel { .. } => {}
        }
    }
    layout
}

/// No series: an object figure that has none (a queue's line, a channel).
const NO_SERIES: u32 = u32::MAX;

/// The sink of a run and what it needs to hand over changes only.
pub(crate) struct Series {
    sink: Box<dyn SeriesSink>,
    /// Per series: the bits of the value last handed over.
    last: Vec<u64>,
    /// Per object: the series of its level (units held, items buffered,
    /// the level) and of its line, or [`NO_SERIES`].
    objects: Vec<[u32; 2]>,
}

impl Series {
    /// Hands over a change of series `series`, unless it holds that value already.
    #[inline(never)]
    fn change(&mut self, series: u32, time: f64, value: f64) {
        let Some(last) = self.last.get_mut(series as usize) else { return };
        let bits = value.to_bits();
        if *last != bits {
            *last = bits;
            self.sink.change(series, time, value);
        }
    }
}

impl Runtime {
    /// Sets up `sink` for a run of `program` (after the statistics) and hands
    /// it every series' initial value at time 0.
    pub(crate) fn start_series(&mut self, program: &Program<'_>, sink: Box<dyn SeriesSink>) {
        let layout = series_layout(program);
        let mut objects = vec![[NO_SERIES; 2]; program.objects().len()];
        let mut initial = Vec::with_capacity(layout.len());
        for (id, of) in layout.iter().enumerate() {
            let id = id as u32;
            let value = match *of {
                SeriesOf::Var { cell } => self.cell_initial[cell as usize],
                SeriesOf::LockHeld { object } | SeriesOf::QueueLength { object } => {
                    objects[object as usize][0] = id;
                    0.0
                }
                SeriesOf::ResourceLevel { object } => {
                    objects[object as usize][0] = id;
                    match program.objects()[object as usize].kind {
                        ObjectKindSpec::Resource { level, .. } => level,
                        _ => 0.0,
                    }
                }
                SeriesOf::LockQueue { object } | SeriesOf::ResourceQueue { object } => {
                    objects[object as usize][1] = id;
                    0.0
                }
            };
            initial.push(value);
        }
        let mut series = Series { sink, last: initial.iter().map(|v: &f64| v.to_bits()).collect(), objects };
        for (id, &value) in initial.iter().enumerate() {
            series.sink.change(id as u32, 0.0, value);
        }
        self.series = Some(Box::new(series));
    }

    /// The var in `cell` holds `value` from now on.
    #[inline]
    pub(crate) fn series_var(&mut self, cell: u32, value: f64) {
        if let Some(series) = &mut self.series {
            series.change(cell, self.header.now, value);
        }
    }

    /// The level (`line`: false) or line (true) of `object` is `value` from
    /// now on. Without a sink, one branch; the rest is out of line.
    #[inline]
    pub(crate) fn series_object(&mut self, object: usize, line: bool, value: f64) {
        if self.series.is_some() {
            self.series_object_changed(object, line, value);
        }
    }

    #[cold]
    #[inline(never)]
    fn series_object_changed(&mut self, object: usize, line: bool, value: f64) {
        let now = self.header.now;
        if let Some(series) = &mut self.series {
            let id = series.objects.get(object).map_or(NO_SERIES, |ids| ids[usize::from(line)]);
            if id != NO_SERIES {
                series.change(id, now, value);
            }
        }
    }

    /// The run has ended: the sink is told so, and let go.
    pub(crate) fn finish_series(&mut self) {
        if let Some(mut series) = self.series.take() {
            series.sink.finish();
        }
    }
}
