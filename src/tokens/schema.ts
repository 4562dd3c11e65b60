import { z } from 'zod';
import { wholeNumber } from '../validate.js';

/** The query of `GET /v1/connections/{id}/token`. */
export const tokenQuery = z.object({ min_ttl: wholeNumber(0, 3600, 60) });
