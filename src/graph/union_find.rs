//! A sequential union-find over dense `u32` indices: path halving, link by index.
//!
//! The larger root is always linked under the smaller one, so a component's root is its smallest
//! index: deterministic whatever the union order, and useful as the cluster's representative.
//! Measured on this machine class (research/deps.md §5) this was the fastest and steadiest
//! variant (33–61 ns per union), and a concurrent CAS version on 2 cores only tied with it, so
//! there is deliberately no parallel version here: the work is bound by memory latency.

/// Disjoint sets over `0..n`.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> UnionFind {
        assert!(n < u32::MAX as usize, "at most 2^32 - 1 elements");
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    /// The root of `x`'s set, halving the path on the way.
    pub fn find(&mut self, mut x: u32) -> u32 {
        let parent = &mut self.parent;
        while parent[x as usize] != x {
            let grand = parent[parent[x as usize] as usize];
            parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the sets of `a` and `b`. Returns true if they were separate.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (small, large) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[large as usize] = small;
        true
    }

    /// The root of every element (each the smallest index of its set).
    pub fn into_roots(mut self) -> Vec<u32> {
        // Roots are smaller than every member, so one pass in index order sees each element's
        // parent already resolved to its root.
        for x in 0..self.parent.len() {
            let p = self.parent[x] as usize;
            self.parent[x] = self.parent[p];
        }
        self.parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    /// The oracle: components by breadth-first search over an adjacency list, each labelled by
    /// its smallest member.
    fn bfs_components(n: usize, edges: &[(u32, u32)]) -> Vec<u32> {
        let mut adjacent = vec![Vec::new(); n];
        for &(a, b) in edges {
            adjacent[a as usize].push(b);
            adjacent[b as usize].push(a);
        }
        let mut label = vec![u32::MAX; n];
        for start in 0..n {
            if label[start] != u32::MAX {
                continue;
            }
            let mut queue = VecDeque::from([start as u32]);
            label[start] = start as u32;
            while let Some(x) = queue.pop_front() {
                for &y in &adjacent[x as usize] {
                    if label[y as usize] == u32::MAX {
                        label[y as usize] = start as u32;
                        queue.push_back(y);
                    }
                }
            }
        }
        label
    }

    #[test]
    fn root_is_the_smallest_member() {
        let mut uf = UnionFind::new(6);
        uf.union(5, 3);
        uf.union(3, 4);
        uf.union(1, 2);
        assert_eq!(uf.into_roots(), vec![0, 1, 1, 3, 3, 3]);
    }

    #[test]
    fn union_reports_whether_sets_were_separate() {
        let mut uf = UnionFind::new(3);
        assert!(uf.union(0, 1));
        assert!(!uf.union(1, 0));
    }

    proptest! {
        #[test]
        fn components_equal_bfs_oracle(
            n in 1usize..200,
            raw_edges in proptest::collection::vec((0u32..200, 0u32..200), 0..400),
        ) {
            let edges: Vec<(u32, u32)> = raw_edges
                .into_iter()
                .map(|(a, b)| (a % n as u32, b % n as u32))
                .collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            prop_assert_eq!(uf.into_roots(), bfs_components(n, &edges));
        }
    }
}
