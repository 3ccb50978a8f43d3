import { useEffect, useState, type ReactNode } from 'react';

/**
 * False until the page has painted twice since the calling component mounted, then true. The
 * first animation-frame callback runs before the frame that shows the page is painted; the second
 * one runs before the next frame, so the first has been painted by then.
 */
export function useAfterPaint(): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    let frame = requestAnimationFrame(() => {
      frame = requestAnimationFrame(() => setPainted(true));
    });
    return () => cancelAnimationFrame(frame);
  }, []);
  return painted;
}

/**
 * Mounts its children only once the page has been painted (useAfterPaint), holding their place
 * with an empty box of `height` pixels meanwhile. Pages use it for content beside or below what
 * the user looks at first (a dashboard's further charts), so that the browser draws the first view
 * without also building every chart before that frame; the rest follows a frame or two later.
 * Nothing is left out: the children are the same, only mounted later.
 */
export function AfterPaint({ children, height }: { readonly children: ReactNode; readonly height: number }) {
  return useAfterPaint() ? <>{children}</> : <div style={{ height }} aria-hidden="true" />;
}
