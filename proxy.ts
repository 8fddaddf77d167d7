// In front of /api only: a path whose percent-encoding is malformed cannot be routed, and Next.js
// would answer with its HTML error page. An API answers JSON, like every other API error.
import { NextResponse, type NextRequest } from "next/server";

export function proxy(request: NextRequest) {
  try {
    decodeURIComponent(new URL(request.url).pathname);
  } catch {
    return NextResponse.json(
      { error: { code: "BAD_REQUEST", message: "The URL's path has malformed percent-encoding (a % not followed by two hex digits of UTF-8)" } },
      { status: 400 },
    );
  }
  return NextResponse.next();
}

export const config = { matcher: "/api/:path*" };
