// Roles as the server defines them (include/tyto/auth/roles.hpp): viewer < user < admin < superadmin
// form a ladder; product roles sit beside it, and admin and superadmin include them all.

const LADDER = ['viewer', 'user', 'admin', 'superadmin'];
const PRODUCT = ['labeler', 'partner', 'tailor', 'fixer', 'verifier', 'curator'];

// Whether a holder of `have` may do what requires `need`.
export function roleAllows(have, need) {
  if (need === 'viewer' || have === need) return true;
  const h = LADDER.indexOf(have);
  if (LADDER.includes(need)) return h >= 0 && h > LADDER.indexOf(need);
  return PRODUCT.includes(need) && h >= LADDER.indexOf('admin');
}

// The tenant roles a holder of `have` may hand out (to an API key or an invited member): its own
// and those below it. Superadmin is a platform role, never handed out here.
export function grantableRoles(have) {
  return [...LADDER.slice(0, 3), ...PRODUCT].filter((r) => roleAllows(have, r));
}
