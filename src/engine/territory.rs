//! Territory across the two maps: which units of the other map lie wholly
//! inside a unit's territory, read from the lineage. What a key scoped to
//! a unit of one map may see of the other map, and never more.
//!
//! A leaf of the other map lies inside when every leaf it is linked to
//! (its predecessors, or its successors) lies in the unit's subtree; a 2023
//! commune merged away before the merge table was written is known only to
//! lie in the 2025 unit that holds its numbers as unallocated (its old
//! province's successor), so it lies inside a 2025 unit only if that unit
//! is inside, and inside no 2025 commune. A unit above the leaves lies
//! inside when all its children do.

use super::Snapshot;

impl Snapshot {
    /// The largest units of the other map that lie wholly inside `root`'s
    /// territory (none of their parents does), in the other map's
    /// depth-first order. Quảng Nam (2023) holds the 2025 communes that
    /// took only its land, not Đà Nẵng (2025), which also took old Đà
    /// Nẵng's; Hà Tĩnh (2023) holds Hà Tĩnh (2025), which is its whole
    /// territory and nothing more.
    pub fn inside_other_map(&self, root: u32) -> Vec<u32> {
        let other = self.unit(root).map.other();
        let Some(&other_root) = self.level(other, entity::unit::UnitLevel::Ministry).first() else {
            return Vec::new();
        };
        let order = self.subtree(other_root);
        let mut inside = vec![false; self.unit_count()];
        // Children come after their parent in depth-first order: walking it
        // backwards settles every child before its parent.
        for &u in order.iter().rev() {
            let children = self.children(u);
            inside[u as usize] = if children.is_empty() {
                let mut links: Vec<u32> = self.predecessors(u).iter().map(|&(l, _)| l).collect();
                if links.is_empty() {
                    links = self.successors(u).into_iter().map(|(l, _)| l).collect();
                }
                if links.is_empty() {
                    // A leaf merged away: its land lies in the new unit
                    // holding its numbers, and no finer.
                    links.extend(self.unallocated_into(u));
                }
                !links.is_empty() && links.iter().all(|&l| self.is_within(l, root))
            } else {
                children.iter().all(|&c| inside[c as usize])
            };
        }
        order
            .iter()
            .copied()
            .filter(|&u| inside[u as usize] && self.parent(u).is_none_or(|p| !inside[p as usize]))
            .collect()
    }
}
