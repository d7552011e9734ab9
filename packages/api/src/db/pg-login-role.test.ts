import { loginRoleName } from './pg-login-role';

describe('loginRoleName', () => {
  it('names the login role after a database whose name is a plain identifier', () => {
    expect(loginRoleName('switchboard')).toBe('sb_login_switchboard');
    expect(loginRoleName('postgres')).toBe('sb_login_postgres');
  });

  it('names it after a hash of any other database name, within the 63 bytes of a role name', () => {
    for (const database of ['Switchboard', 'my-db', 'a'.repeat(60), 'naïve']) {
      const role = loginRoleName(database);
      expect(role).toMatch(/^sb_login_[0-9a-f]{16}$/);
      expect(loginRoleName(database)).toBe(role);
    }
    expect(loginRoleName('my-db')).not.toBe(loginRoleName('my_db'));
  });
});
