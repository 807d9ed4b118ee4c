import { useCallback, useRef, useState } from 'react';

/**
 * useReducer whose latest state can be read at once (`latest()`), not only
 * at the next render. Keys are handled between renders: a key typed right
 * after another must act on the state the first one left, not on the last
 * frame drawn. Reducers are pure, so running them eagerly is safe.
 */
export function useLatestReducer<S, A>(reducer: (state: S, action: A) => S, init: () => S): [S, (action: A) => void, () => S] {
  const ref = useRef<{ state: S } | undefined>(undefined);
  ref.current ??= { state: init() };
  const [state, setState] = useState(ref.current.state);
  const reducerRef = useRef(reducer);
  reducerRef.current = reducer;
  const dispatch = useCallback((action: A) => {
    const box = ref.current!;
    box.state = reducerRef.current(box.state, action);
    setState(box.state);
  }, []);
  const latest = useCallback(() => ref.current!.state, []);
  return [state, dispatch, latest];
}
