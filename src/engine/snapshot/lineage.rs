//! How numbers cross between two maps ([`Crossings`]): the lineage of an
//! old map's leaves to a new map's leaves, read as snapshot indices, and
//! what follows from it for every unit.
//!
//! The rules (DOMAIN.md, "The 1 July 2025 reform"), for a leaf's numbers on
//! a day when the leaf is in force:
//!
//! - an old leaf with successors: its flows, and the steps of its stocks,
//!   count in each successor by its share, apportioned per day into whole
//!   numbers that add up exactly ([`crate::model::share::apportion`]);
//! - an old leaf without successors (a commune merged away before the
//!   table was made): its numbers count, whole, in the new unit above the
//!   leaves that holds its old province's successors, as *unallocated*;
//! - a new leaf with predecessors: its own numbers count, whole, in the
//!   lowest old unit that holds all its predecessors (its *holder*), so
//!   that an old unit whose territory is a union of whole new units keeps
//!   exact numbers after its map's last day.
//!
//! The maps themselves are not named here: an old map is one whose units
//! have successors, a new map one whose units have predecessors.

use std::collections::HashMap;

use entity::unit::{AdminMap, UnitLevel};

use super::{FLOWS, STOCKS, Snapshot, UnitNode};
use crate::model::day::Day;
use crate::model::rows::LineageRow;
use crate::model::share::apportion;

/// The successors of one old leaf: new leaves (by index) and their shares.
#[derive(Debug, Clone, Default)]
pub(super) struct Split {
    pub units: Vec<u32>,
    pub shares: Vec<f64>,
}

/// Where each leaf's numbers also count, in the other map, and what that
/// means for each unit (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Crossings {
    /// Old leaf → its successors.
    pub(super) successors: HashMap<u32, Split>,
    /// New leaf → its predecessors and the share each gave it.
    pub(super) predecessors: HashMap<u32, Vec<(u32, f64)>>,
    /// Old leaf without successors (of a map that has lineage) → the new
    /// unit holding its numbers as unallocated.
    pub(super) unallocated_into: HashMap<u32, u32>,
    /// New leaf with predecessors → the lowest old unit holding them all.
    pub(super) holder: HashMap<u32, u32>,
    /// Units above the leaves that went whole into one unit of the same
    /// level (an old province into a new one): new → old, and old → new,
    /// each with the share 1.
    pub(super) whole_predecessors: HashMap<u32, Vec<(u32, f64)>>,
    pub(super) whole_successors: HashMap<u32, Vec<(u32, f64)>>,
    /// Per unit: whether its numbers after its last day in force are those
    /// of whole units of the new map (always, for units of a map that
    /// did not end).
    pub(super) whole_after: Vec<bool>,
    /// Per unit: whether its numbers before its first day in force include
    /// a share of a split old leaf.
    pub(super) apportioned: Vec<bool>,
}

impl Crossings {
    /// Reads `rows` against the tree `units` (indexed by `index`); rows of
    /// units the tree does not hold are ignored.
    pub(super) fn new(
        units: &[UnitNode],
        index: &HashMap<i64, u32>,
        rows: &[LineageRow],
    ) -> Crossings {
        let n = units.len();
        let mut out = Crossings {
            whole_after: vec![true; n],
            apportioned: vec![false; n],
            ..Crossings::default()
        };
        if rows.is_empty() {
            return out;
        }
        let tree = Tree::new(units);
        let mut rows: Vec<(u32, u32, f64)> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    *index.get(&r.old_unit_id)?,
                    *index.get(&r.new_unit_id)?,
                    r.share,
                ))
            })
            .filter(|(old, new, _)| {
                units[*old as usize].children.is_empty() && units[*new as usize].children.is_empty()
            })
            .collect();
        rows.sort_by_key(|(old, new, _)| (*old, *new));
        for (old, new, share) in &rows {
            let split = out.successors.entry(*old).or_default();
            split.units.push(*new);
            split.shares.push(*share);
            out.predecessors
                .entry(*new)
                .or_default()
                .push((*old, *share));
        }
        for (new, preds) in &out.predecessors {
            let holder: u32 = preds
                .iter()
                .map(|(old, _)| *old)
                .reduce(|a, b| tree.lca(a, b))
                .expect("a new leaf listed has a predecessor");
            out.holder.insert(*new, holder);
        }

        // A new leaf without predecessors (none in the shipped table) is
        // held by the old map's root, so that the country's numbers agree.
        let old_root = tree.root(
            *out.successors
                .keys()
                .next()
                .expect("a lineage row was read"),
        );
        let new_maps = maps_of(units, out.predecessors.keys());
        for (u, unit) in units.iter().enumerate() {
            if unit.children.is_empty() && new_maps.contains(&unit.map) {
                out.holder.entry(u as u32).or_insert(old_root);
            }
        }

        // Unallocated: an old leaf without successors counts in the unit
        // of the new map that holds its old province's successors.
        let old_maps = maps_of(units, out.successors.keys());
        let new_root = out
            .predecessors
            .keys()
            .next()
            .map(|u| tree.root(*u))
            .expect("a lineage row was read");
        let mut target_of_province: HashMap<u32, u32> = HashMap::new();
        for (u, unit) in units.iter().enumerate() {
            let u = u as u32;
            if !unit.children.is_empty()
                || !old_maps.contains(&unit.map)
                || out.successors.contains_key(&u)
            {
                continue;
            }
            let province = tree.province_or_root(u);
            let target = *target_of_province.entry(province).or_insert_with(|| {
                match out.successors_lca(&tree, province) {
                    // Never into a leaf: unallocated is not guessed into
                    // a commune.
                    Some(t) if units[t as usize].children.is_empty() => {
                        units[t as usize].parent.unwrap_or(t)
                    }
                    Some(t) => t,
                    None => new_root,
                }
            });
            out.unallocated_into.insert(u, target);
        }

        // Units above the leaves that went whole into one of their level.
        for (x, unit) in units.iter().enumerate() {
            let x = x as u32;
            if unit.children.is_empty() || !old_maps.contains(&unit.map) {
                continue;
            }
            let lca = out.successors_lca(&tree, x);
            if let Some(y) = lca.filter(|y| units[*y as usize].level == unit.level) {
                out.whole_predecessors.entry(y).or_default().push((x, 1.0));
                out.whole_successors.entry(x).or_default().push((y, 1.0));
            }
        }

        // Whole after the old map's end: every unit strictly below the
        // highest holder of a leaf's successors (or, for a leaf merged away,
        // below its province) sees only part of that leaf's territory.
        for (u, unit) in units.iter().enumerate() {
            let u = u as u32;
            if !unit.children.is_empty() || !old_maps.contains(&unit.map) {
                continue;
            }
            let highest = match out.successors.get(&u) {
                Some(split) => split
                    .units
                    .iter()
                    .map(|c| out.holder[c])
                    .min_by_key(|h| tree.depth[*h as usize])
                    .unwrap_or(u),
                None => tree.province_or_root(u),
            };
            let mut at = Some(u);
            while let Some(a) = at {
                if a == highest {
                    break;
                }
                out.whole_after[a as usize] = false;
                at = units[a as usize].parent;
            }
        }

        // Apportioned before the new map's start: every new unit strictly
        // below the lowest one holding all the parts of a split leaf.
        for split in out.successors.values() {
            if split.units.len() < 2 {
                continue;
            }
            let whole = split
                .units
                .iter()
                .copied()
                .reduce(|a, b| tree.lca(a, b))
                .expect("a split has parts");
            for part in &split.units {
                let mut at = Some(*part);
                while let Some(a) = at {
                    if a == whole {
                        break;
                    }
                    out.apportioned[a as usize] = true;
                    at = units[a as usize].parent;
                }
            }
        }
        out
    }

    /// The lowest new unit holding every successor of the leaves below
    /// `x` (`None` when none of them has one).
    fn successors_lca(&self, tree: &Tree<'_>, x: u32) -> Option<u32> {
        tree.leaves_below(x)
            .filter_map(|leaf| self.successors.get(&leaf))
            .flat_map(|split| split.units.iter().copied())
            .reduce(|a, b| tree.lca(a, b))
    }

    /// Whether a leaf's numbers count anywhere in the other map.
    pub(super) fn crosses(&self, u: u32) -> bool {
        self.successors.contains_key(&u)
            || self.unallocated_into.contains_key(&u)
            || self.holder.contains_key(&u)
    }

    /// The units holding unallocated numbers.
    pub(super) fn unallocated_targets(&self) -> impl Iterator<Item = u32> + '_ {
        self.unallocated_into.values().copied()
    }
}

impl Snapshot {
    /// The units of the other map that a leaf's flows of `day` count in,
    /// each with its part of the change of the leaf's day from `before` to
    /// `after` (apportioned parts are those of whole days, so that the
    /// parts of every day add up to the day exactly).
    pub(super) fn echoes(
        &self,
        leaf: u32,
        day: Day,
        before: &[i64; FLOWS],
        after: &[i64; FLOWS],
        out: &mut Vec<(u32, [i64; FLOWS])>,
    ) {
        let (first, last) = self.units[leaf as usize].in_force;
        if day < first || day > last {
            return;
        }
        let crossings = &self.crossings;
        if let Some(split) = crossings.successors.get(&leaf) {
            let mut parts = vec![[0i64; FLOWS]; split.units.len()];
            for m in 0..FLOWS {
                if before[m] == after[m] {
                    continue;
                }
                let old = apportion(before[m], &split.shares);
                let new = apportion(after[m], &split.shares);
                for (i, part) in parts.iter_mut().enumerate() {
                    part[m] = new[i] - old[i];
                }
            }
            out.extend(split.units.iter().copied().zip(parts));
        }
        let mut whole = [0i64; FLOWS];
        for m in 0..FLOWS {
            whole[m] = after[m] - before[m];
        }
        if let Some(target) = crossings.unallocated_into.get(&leaf) {
            out.push((*target, whole));
        }
        if let Some(holder) = crossings.holder.get(&leaf) {
            out.push((*holder, whole));
        }
    }
}

impl Snapshot {
    /// Calls `at` with every unit a stock step of `u` on `day` counts in:
    /// `u` and its ancestors, and by the lineage the unallocated target of
    /// a leaf merged away or, from a new leaf's first day, its holder and
    /// the holder's ancestors. (An old leaf's steps reach its successors
    /// through their inherited stocks instead.)
    pub(super) fn stock_targets(&self, u: u32, day: Day, mut at: impl FnMut(u32)) {
        let mut chain = |from: u32| {
            let mut unit = Some(from);
            while let Some(a) = unit {
                at(a);
                unit = self.units[a as usize].parent;
            }
        };
        chain(u);
        if let Some(target) = self.crossings.unallocated_into.get(&u) {
            chain(*target);
        }
        if let Some(holder) = self.crossings.holder.get(&u) {
            if day >= self.units[u as usize].in_force.0 {
                chain(*holder);
            }
        }
    }

    /// A new leaf's shares of its predecessors' stock steps (each taken
    /// while the predecessor is in force), as one step function: each step
    /// apportioned by the predecessor's shares, so that the parts of every
    /// step add up to it exactly.
    pub(super) fn inherited_steps(
        &self,
        leaf: u32,
        predecessors: &[(u32, f64)],
        steps: &[Vec<(Day, [i64; STOCKS])>],
    ) -> Vec<(Day, [i64; STOCKS])> {
        let parts: Vec<Vec<(Day, [i64; STOCKS])>> = predecessors
            .iter()
            .map(|(old, _)| {
                let split = &self.crossings.successors[old];
                let position = split
                    .units
                    .iter()
                    .position(|u| *u == leaf)
                    .expect("a predecessor lists its successor");
                let last = self.units[*old as usize].in_force.1;
                steps[*old as usize]
                    .iter()
                    .filter(|(d, _)| *d <= last)
                    .map(|(d, values)| {
                        let mut part = [0i64; STOCKS];
                        for k in 0..STOCKS {
                            part[k] = apportion(values[k], &split.shares)[position];
                        }
                        (*d, part)
                    })
                    .collect()
            })
            .collect();
        let mut days: Vec<Day> = parts.iter().flatten().map(|(d, _)| *d).collect();
        days.sort_unstable();
        days.dedup();
        let mut cursors = vec![0usize; parts.len()];
        let mut current = vec![[0i64; STOCKS]; parts.len()];
        days.into_iter()
            .map(|d| {
                let mut sum = [0i64; STOCKS];
                for (i, part) in parts.iter().enumerate() {
                    while cursors[i] < part.len() && part[cursors[i]].0 <= d {
                        current[i] = part[cursors[i]].1;
                        cursors[i] += 1;
                    }
                    for k in 0..STOCKS {
                        sum[k] += current[i][k];
                    }
                }
                (d, sum)
            })
            .collect()
    }
}

/// The maps of some units, each once.
fn maps_of<'a>(units: &[UnitNode], of: impl Iterator<Item = &'a u32>) -> Vec<AdminMap> {
    let mut maps: Vec<AdminMap> = of.map(|u| units[*u as usize].map).collect();
    maps.sort_unstable();
    maps.dedup();
    maps
}

/// Depths and ancestors of the units, for lowest common ancestors.
struct Tree<'a> {
    units: &'a [UnitNode],
    depth: Vec<u32>,
}

impl<'a> Tree<'a> {
    fn new(units: &'a [UnitNode]) -> Tree<'a> {
        let mut depth = vec![u32::MAX; units.len()];
        for u in 0..units.len() {
            let mut path = Vec::new();
            let mut at = Some(u as u32);
            while let Some(a) = at {
                if depth[a as usize] != u32::MAX {
                    break;
                }
                path.push(a);
                at = units[a as usize].parent;
            }
            let top = at.map_or(0, |a| depth[a as usize] + 1);
            for (d, a) in (top..).zip(path.into_iter().rev()) {
                depth[a as usize] = d;
            }
        }
        Tree { units, depth }
    }

    fn lca(&self, mut a: u32, mut b: u32) -> u32 {
        while self.depth[a as usize] > self.depth[b as usize] {
            a = self.units[a as usize].parent.unwrap_or(a);
        }
        while self.depth[b as usize] > self.depth[a as usize] {
            b = self.units[b as usize].parent.unwrap_or(b);
        }
        while a != b {
            match (self.units[a as usize].parent, self.units[b as usize].parent) {
                (Some(pa), Some(pb)) => {
                    a = pa;
                    b = pb;
                }
                // Two roots: different maps or forests; the first stands.
                _ => return a,
            }
        }
        a
    }

    fn root(&self, mut u: u32) -> u32 {
        while let Some(p) = self.units[u as usize].parent {
            u = p;
        }
        u
    }

    /// The province above (or at) `u`, or its root when it has none.
    fn province_or_root(&self, u: u32) -> u32 {
        let mut at = Some(u);
        while let Some(a) = at {
            if self.units[a as usize].level == UnitLevel::Province {
                return a;
            }
            at = self.units[a as usize].parent;
        }
        self.root(u)
    }

    /// The leaves of `u`'s subtree.
    fn leaves_below(&self, u: u32) -> impl Iterator<Item = u32> + '_ {
        let mut stack = vec![u];
        std::iter::from_fn(move || {
            while let Some(a) = stack.pop() {
                let children = &self.units[a as usize].children;
                if children.is_empty() {
                    return Some(a);
                }
                stack.extend(children.iter().copied());
            }
            None
        })
    }
}
