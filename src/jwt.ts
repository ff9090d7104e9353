/** The plain JWT types: a leaf module, imported by everything and importing nothing. */

/** The JOSE header of a token. */
export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [key: string]: unknown;
}

/** The registered and flask-jwt-extended claims of a token. Custom claims are typed by the `claims` option. */
export interface JwtPayload {
  /** `true`, `false`, or the UNIX time (seconds) until which the token is fresh. */
  fresh?: boolean | number;
  iat?: number;
  jti?: string;
  /** `'access'`, `'refresh'`, or another type from a third-party issuer. */
  type?: string;
  sub?: string;
  nbf?: number;
  csrf?: string;
  exp?: number;
  aud?: string | string[];
  iss?: string;
  [claim: string]: unknown;
}
